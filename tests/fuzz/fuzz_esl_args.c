/*
 * The ESL host's application-argument builder (examples/esl_host/app_args.c)
 * on any text: a keypad question, a spoken question, a prompt and the
 * handoff context built from it must carry nothing FreeSWITCH's expander
 * would act on, whether app_disable_expand_variables is honoured or not,
 * must be read by each application as exactly the words meant, and must
 * travel in a sendmsg whose header lines are the host's own. The checks and
 * the model of FreeSWITCH are shared with the esl-args unit test
 * (tests/esl/args_check.c, tests/esl/fs_oracle.c).
 */
#include <stdint.h>
#include <stdlib.h>

#include "args_check.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0; /* prompts are bounded by the library; longer texts add nothing */
    char *text = fuzz_strndup(data, size);
    char why[600];
    int rc = args_check_text(text, why, sizeof(why));
    FUZZ_CHECK(rc == 0, "text [%.300s]: %s", text, why);
    free(text);
    return 0;
}
