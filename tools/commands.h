/* The subcommands of the `ddistill` command line. Each lives in its own
 * cmd_*.c file and is listed in ddistill.c's table. A command returns the
 * process exit status: 0 on success, 1 on a failure it has reported, 2 on
 * bad usage. */
#ifndef DD_TOOLS_COMMANDS_H
#define DD_TOOLS_COMMANDS_H

typedef struct dd_command {
  const char *name;
  const char *summary;
  int (*run) (int argc, char **argv);
} dd_command;

#endif
