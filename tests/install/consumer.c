/*
 * Built against an installed libivrsm (pkg-config libivrsm) by
 * tests/test_install.sh: loads and checks a machine through the public API.
 */
#include <ivrsm/ivrsm.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer MACHINE\n");
        return 2;
    }
    if (strcmp(ivrsm_version(), IVRSM_VERSION_STRING) != 0) {
        fprintf(stderr, "header %s but library %s\n", IVRSM_VERSION_STRING, ivrsm_version());
        return 1;
    }
    ivrsm_machine *m;
    ivrsm_error err;
    if (ivrsm_machine_load_file(argv[1], IVRSM_FORMAT_AUTO, &m, &err) != 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.column, err.message);
        return 1;
    }
    ivrsm_diagnostics *d;
    if (ivrsm_check_file(argv[1], IVRSM_FORMAT_AUTO, &d) != 0) {
        ivrsm_machine_unref(m);
        return 1;
    }
    printf("%s %s: %zu states, initial %s, %zu diagnostics, %zu errors\n", ivrsm_machine_name(m),
           ivrsm_machine_version(m), ivrsm_machine_state_count(m),
           ivrsm_machine_state_name(m, ivrsm_machine_initial_state(m)), ivrsm_diagnostics_count(d),
           ivrsm_diagnostics_error_count(d));
    ivrsm_diagnostics_free(d);
    ivrsm_machine_unref(m);
    return 0;
}
