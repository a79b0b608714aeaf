/*
 * HTTP statuses as the format writes them: "401" (that status) or "4xx" (its
 * class), in on_status and in globals.http.wrong_input.
 */
#include <string.h>

#include "model.h"

bool ivrsm_m_status_key(const char *text, char out[4])
{
    if (!text || strlen(text) != 3 || text[0] < '1' || text[0] > '5')
        return false;
    bool klass = (text[1] == 'x' || text[1] == 'X') && (text[2] == 'x' || text[2] == 'X');
    bool exact = text[1] >= '0' && text[1] <= '9' && text[2] >= '0' && text[2] <= '9';
    if (!klass && !exact)
        return false;
    out[0] = text[0];
    out[1] = klass ? 'x' : text[1];
    out[2] = klass ? 'x' : text[2];
    out[3] = '\0';
    return true;
}

int ivrsm_m_status_match(const char key[4], int status)
{
    if (status < 100 || status > 599 || key[0] != '0' + status / 100)
        return 0;
    if (key[1] == 'x')
        return 1;
    return key[1] == '0' + status / 10 % 10 && key[2] == '0' + status % 10 ? 2 : 0;
}

bool ivrsm_m_status_in(const m_status_set *set, int status)
{
    for (size_t i = 0; i < set->count; i++)
        if (ivrsm_m_status_match(set->keys[i], status))
            return true;
    return false;
}
