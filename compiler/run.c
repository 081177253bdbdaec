/*
 * run.c - `kiln run`: compile a model with --exe into a temporary folder,
 * build it with make, run the program on the given inputs (its output is the
 * user's), and remove the folder. Same results as the standalone program.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln.h"

extern char **environ;

static int spawn_wait(char *const argv[], int quiet) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (quiet) posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1 /* O_WRONLY */, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) return -1;
    int status;
    if (waitpid(pid, &status, 0) < 0) return -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

int kiln_run(const char *model, int ninputs, char **inputs, const char *outdir, const KilnOptions *o, Diag *d) {
    const char *tmpbase = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/kiln-run-XXXXXX", tmpbase && *tmpbase ? tmpbase : "/tmp");
    if (!mkdtemp(dir)) return diag_error(d, NULL, "cannot create a temporary folder in %s", tmpbase ? tmpbase : "/tmp");
    KilnOptions co = *o;
    co.outdir = dir;
    co.exe = 1;
    if (!co.name) co.name = "model";
    int rc = kiln_compile(model, &co, d);
    if (!rc) {
        char *make_argv[] = {"make", "-s", "-C", dir, NULL};
        int mk = spawn_wait(make_argv, 1);
        if (mk != 0) rc = diag_error(d, NULL, "building the generated program failed (make exited %d)", mk);
    }
    if (!rc) {
        char exe[4200];
        snprintf(exe, sizeof exe, "%s/%s", dir, co.name);
        char **argv = calloc((size_t)ninputs + 4, sizeof(char *));
        if (!argv) rc = diag_error(d, NULL, "out of memory");
        else {
            int k = 0;
            argv[k++] = exe;
            for (int i = 0; i < ninputs; i++) argv[k++] = inputs[i];
            if (outdir) {
                argv[k++] = "-o";
                argv[k++] = (char *)outdir;
            }
            int st = spawn_wait(argv, 0);
            if (st == 1) rc = diag_error(d, NULL, "the generated program rejected its input (see above)");
            else if (st != 0) rc = diag_internal(d, "the generated program failed (status %d)", st);
            free(argv);
        }
    }
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
