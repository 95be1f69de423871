/* ddistill: the command line. Dispatches `ddistill COMMAND ARGS...` to the
 * command's own file. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

int dd_cmd_bench (int argc, char **argv);
int dd_cmd_distill (int argc, char **argv);
int dd_cmd_eval (int argc, char **argv);
int dd_cmd_label (int argc, char **argv);
int dd_cmd_plot (int argc, char **argv);
int dd_cmd_predict (int argc, char **argv);
int dd_cmd_smoke (int argc, char **argv);
int dd_cmd_synth (int argc, char **argv);
int dd_cmd_train (int argc, char **argv);

static const dd_command commands[] = {
  { "bench", "Benchmarks: `bench engine` times inference and training of a network", dd_cmd_bench },
  { "distill", "Data distillation end to end: teacher, automatic labels, student, evaluation", dd_cmd_distill },
  { "eval", "COCO AP/AR of detections against ground truth (boxes or keypoints)", dd_cmd_eval },
  { "label", "Automatic labels: teacher on test-time transforms, ensembled, count-matched", dd_cmd_label },
  { "plot", "Figures (PNG) from the results of `ddistill distill`", dd_cmd_plot },
  { "predict", "Run a trained model on images: COCO results (boxes, keypoints, scores)", dd_cmd_predict },
  { "smoke", "Engine smoke run: trains `tiny` a few steps (`make demo` runs `distill --spec quick`)", dd_cmd_smoke },
  { "synth", "Generate synthetic people: labeled sets, unlabeled images, videos (COCO truth)", dd_cmd_synth },
  { "train", "Train the detector (teacher or student), resuming from its checkpoint", dd_cmd_train },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "usage: ddistill COMMAND [OPTIONS...]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\n`ddistill COMMAND --help` describes a command's options.\n");
}

int
main (int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
    print_usage (argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);
  fprintf (stderr, "ddistill: unknown command '%s'\n\n", argv[1]);
  print_usage (stderr);
  return 2;
}
