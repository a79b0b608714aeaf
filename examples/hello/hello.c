/* The smallest host: a keyed menu in the terminal (the README's example). */
#include <ivrsm/ivrsm.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    ivrsm_machine *m;
    ivrsm_error err;
    if (argc < 2)
        return fprintf(stderr, "usage: hello MACHINE\n"), 2;
    if (ivrsm_machine_load_file(argv[1], IVRSM_FORMAT_AUTO, &m, &err) != 0)
        return fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.column, err.message), 1;
    ivrsm_session *s;
    ivrsm_session_new(m, NULL, &s, NULL);
    ivrsm_session_start(s);
    char line[256];
    for (;;) {
        const ivrsm_command *c;
        while ((c = ivrsm_session_next_command(s)))
            if (c->text)
                printf("IVR: %s\n", c->text);
        if (ivrsm_session_ended(s) || !fgets(line, sizeof line, stdin))
            break;
        line[strcspn(line, "\n")] = '\0';
        ivrsm_event ev = IVRSM_EVENT_INIT; /* its size: later versions can grow it */
        ev.type = IVRSM_EVENT_DTMF;
        ev.text = line;
        ivrsm_session_feed(s, &ev);
    }
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
    return 0;
}
