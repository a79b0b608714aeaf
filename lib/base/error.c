#include "ivrsm/ivrsm.h"

#include <stdlib.h>

const char *ivrsm_version(void)
{
    return IVRSM_VERSION_STRING;
}

int ivrsm_version_num(void)
{
    return IVRSM_VERSION_NUM;
}

const char *ivrsm_strerror(int code)
{
    switch (code) {
    case IVRSM_OK: return "success";
    case IVRSM_EINVAL: return "invalid argument";
    case IVRSM_ENOMEM: return "out of memory";
    case IVRSM_EIO: return "cannot read the file";
    case IVRSM_ESYNTAX: return "malformed YAML or JSON document";
    case IVRSM_EMACHINE: return "the document is not a valid machine";
    case IVRSM_ELIMIT: return "a size limit was exceeded";
    case IVRSM_EDUPLICATE: return "duplicate event id, event ignored";
    case IVRSM_ESTALE: return "result for a command that is not pending, ignored";
    case IVRSM_EENDED: return "the session has ended";
    case IVRSM_ESTATE: return "call out of order for the session's state";
    case IVRSM_ESNAPSHOT: return "malformed snapshot or snapshot of another machine";
    case IVRSM_ENOTFOUND: return "not found";
    case IVRSM_EUNEXPECTED: return "event not expected in the session's current state";
    default: return "unknown error";
    }
}

const char *ivrsm_errname(int code)
{
    switch (code) {
    case IVRSM_OK: return "OK";
    case IVRSM_EINVAL: return "EINVAL";
    case IVRSM_ENOMEM: return "ENOMEM";
    case IVRSM_EIO: return "EIO";
    case IVRSM_ESYNTAX: return "ESYNTAX";
    case IVRSM_EMACHINE: return "EMACHINE";
    case IVRSM_ELIMIT: return "ELIMIT";
    case IVRSM_EDUPLICATE: return "EDUPLICATE";
    case IVRSM_ESTALE: return "ESTALE";
    case IVRSM_EENDED: return "EENDED";
    case IVRSM_ESTATE: return "ESTATE";
    case IVRSM_ESNAPSHOT: return "ESNAPSHOT";
    case IVRSM_ENOTFOUND: return "ENOTFOUND";
    case IVRSM_EUNEXPECTED: return "EUNEXPECTED";
    default: return NULL;
    }
}
