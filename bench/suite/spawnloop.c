/* The physical floor for one process per step: reads commands (one per line, argv separated by
 * spaces) and runs them one after the other with posix_spawn + waitpid, nothing else (no
 * journal, no logs, no containment). Exits 1 when a command fails, 2 on usage errors.
 *
 * With a JOURNAL file it is the floor for one *durable* process per step: after each command it
 * appends a record of about the size of groundwork's (step_start + step_end + stage_end, ~1 KB)
 * and fdatasyncs it before the next command starts, as groundwork does before a dependent
 * starts. Nothing else.
 *
 *   cc -O2 -o spawnloop bench/suite/spawnloop.c && ./spawnloop commands.txt [JOURNAL]
 */
#include <fcntl.h>
#include <unistd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: spawnloop COMMANDS_FILE [JOURNAL]\n");
    return 2;
  }
  int journal = -1;
  char record[1024];
  memset(record, 'x', sizeof record);
  record[sizeof record - 1] = '\n';
  if (argc == 3) {
    journal = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (journal < 0) {
      perror(argv[2]);
      return 2;
    }
  }
  FILE* f = fopen(argv[1], "r");
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    char* args[64];
    int n = 0;
    for (char* t = strtok(line, " \n"); t && n < 63; t = strtok(NULL, " \n")) args[n++] = t;
    if (n == 0) continue;
    args[n] = NULL;
    pid_t pid;
    int rc = posix_spawn(&pid, args[0], NULL, NULL, args, environ);
    if (rc != 0) {
      fprintf(stderr, "spawnloop: %s: %s\n", args[0], strerror(rc));
      return 1;
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "spawnloop: %s failed\n", args[0]);
      return 1;
    }
    if (journal >= 0 && (write(journal, record, sizeof record) != (ssize_t)sizeof record ||
                         fdatasync(journal) != 0)) {
      perror(argv[2]);
      return 1;
    }
  }
  if (journal >= 0) close(journal);
  fclose(f);
  return 0;
}
