#include "name_chars.h"
#include "utf8.h"

#include <stdbool.h>

static bool in(uint32_t cp, uint32_t first, uint32_t last)
{
    return cp >= first && cp <= last;
}

/* Characters that change the order in which text is shown (Unicode's Bidi_Control). */
static bool bidi_control(uint32_t cp)
{
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || in(cp, 0x202A, 0x202E) ||
           in(cp, 0x2066, 0x2069);
}

/* Spaces but U+0020 (Unicode's Zs): a no-break or ideographic space shows as a space. */
static bool other_space(uint32_t cp)
{
    return cp == 0x00A0 || cp == 0x1680 || in(cp, 0x2000, 0x200A) || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

/* Unicode's Default_Ignorable_Code_Point (drawn as nothing) but the direction controls,
 * counted apart, and the joiners U+200C and U+200D, which words of some scripts need. */
static bool invisible(uint32_t cp)
{
    return cp == 0x00AD || cp == 0x034F || in(cp, 0x115F, 0x1160) || in(cp, 0x17B4, 0x17B5) ||
           in(cp, 0x180B, 0x180F) || cp == 0x200B || in(cp, 0x2060, 0x2065) ||
           in(cp, 0x206A, 0x206F) || cp == 0x3164 || in(cp, 0xFE00, 0xFE0F) || cp == 0xFEFF ||
           cp == 0xFFA0 || in(cp, 0xFFF0, 0xFFF8) || in(cp, 0x1BCA0, 0x1BCA3) ||
           in(cp, 0x1D173, 0x1D17A) || in(cp, 0xE0000, 0xE0FFF);
}

const char *ivrsm_name_char_refused(uint32_t cp, ivrsm_name_rules rules)
{
    if (cp < 0x20 || in(cp, 0x7F, 0x9F))
        return "a control character";
    if (cp == 0x2028 || cp == 0x2029)
        return "a line or paragraph separator";
    if (bidi_control(cp))
        return "a bidirectional control, which reorders how text is shown";
    if (rules == IVRSM_NAME_RULES_URI)
        return NULL;
    if (other_space(cp))
        return "a space other than the plain space";
    if (invisible(cp))
        return "an invisible character";
    if (in(cp, 0xFDD0, 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
        return "a noncharacter";
    return NULL;
}

size_t ivrsm_name_find_refused(const char *s, size_t len, ivrsm_name_rules rules, uint32_t *cp,
                               const char **why)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t c = u[i];
        int n = 1;
        if (c >= 0x80) {
            n = ivrsm_utf8_decode(u + i, len - i, &c);
            if (n <= 0) {
                /* Not UTF-8: the readers refuse it first; a lone byte is no name's. */
                *cp = u[i];
                *why = "a byte that is not UTF-8";
                return i;
            }
        } else if (c >= 0x20 && c < 0x7F) {
            i++;
            continue;
        }
        const char *reason = ivrsm_name_char_refused(c, rules);
        if (reason) {
            *cp = c;
            *why = reason;
            return i;
        }
        i += (size_t)n;
    }
    return len;
}
