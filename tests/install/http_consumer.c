/*
 * Built by tests/test_install.sh against the installed HTTP adapter only
 * (pkg-config libivrsm-http, -Wl,--as-needed, a run path to the installed
 * libdir): it calls no function of libivrsm itself, so the dynamic linker
 * finds libivrsm.so.0 through libivrsm-http's own run path or not at all.
 */
#include <ivrsm/http_curl.h>
#include <stdio.h>

int main(void)
{
    ivrsm_http_options opts = {0};
    opts.base_url = "http://127.0.0.1:9";
    ivrsm_http *h;
    int rc = ivrsm_http_new(&opts, &h);
    if (rc != 0) {
        fprintf(stderr, "ivrsm_http_new: %d\n", rc);
        return 1;
    }
    printf("adapter ready, %zu in flight\n", ivrsm_http_in_flight(h));
    ivrsm_http_free(h);
    return 0;
}
