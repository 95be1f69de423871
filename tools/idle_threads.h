/* OpenMP's idle threads spin while they wait for work unless told
 * otherwise. On a machine with few cores or other work (the shared build
 * machine, a pipeline's own threads) the cpu backend then runs several
 * times slower: six iterations of `ddistill train --model small --batch 16`
 * took 19 and 30 s spinning, 8 and 7 s sleeping, back to back at a load
 * average of 10 on 2 cores. OpenMP reads OMP_WAIT_POLICY once, when it
 * is loaded, which is before main(); so a command that runs the engine
 * starts itself again with the policy set, unless the user chose one. */
#ifndef DD_TOOLS_IDLE_THREADS_H
#define DD_TOOLS_IDLE_THREADS_H

/* argv as the command got it (argv[0] is the command's name); returns only
 * when the policy was already set or the restart failed. */
void dd_let_idle_threads_sleep (int argc, char **argv);

#endif
