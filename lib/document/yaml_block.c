/*
 * The text of a YAML block scalar (`|` literal, `>` folded), read so that
 * no byte libfyaml did not write is ever used.
 *
 * libfyaml 0.7.12 (Debian 12) folds some folded scalars wrongly: a line
 * break before a more-indented line that follows empty lines is dropped
 * (`>` / `d` / `` / ` nd` gives "d\n nd\n" instead of "d\n\n nd\n"), while
 * fy_token_get_text() still reports the right length, so the last byte of
 * the text it hands back was never written: the value varied from run to
 * run (valgrind: a conditional jump on an uninitialised value). Block
 * scalars are therefore read through libfyaml's token iterator, which gives
 * exactly the bytes it produced. When a folded scalar comes out shorter
 * than libfyaml's own length, the folding of YAML 1.2 (section 8.1.3) is
 * done here from the source lines, and kept when it has that length;
 * otherwise the iterator's text is used as it is. A block scalar whose
 * last line ends the document without a line break has no final line
 * break (libfyaml adds one): see ivrsm_yaml_block_text().
 *
 * Checked against PyYAML on thousands of generated folded scalars (every
 * mix of text, more-indented and empty lines, with each chomping): the
 * folding here agrees on all; libfyaml disagreed on one in 25, always with
 * a length that told it.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "yaml_block.h"

/* The chunks of the token, as libfyaml produces them. */
static int iterate(struct fy_token *t, struct fy_token_iter *it, ivrsm_buf *out)
{
    fy_token_iter_start(t, it);
    const struct fy_iter_chunk *ch = NULL;
    int err = 0;
    while ((ch = fy_token_iter_chunk_next(it, ch, &err)) != NULL)
        ivrsm_buf_append(out, ch->str, ch->len);
    fy_token_iter_finish(it);
    return err == 0 && !out->failed ? 0 : -1;
}

/*
 * The chomping indicator of the block header, on the line before `at` (where
 * the content starts): '-', '+' or 0. The indicator is the first `>` or `|`
 * of that line followed by at most two of 1-9, '-', '+' and then a blank or
 * the end of the line (a key or a comment may hold such characters too).
 */
static char header_chomping(const char *doc, size_t at)
{
    size_t end = at;
    if (end > 0 && doc[end - 1] == '\n')
        end--;
    if (end > 0 && doc[end - 1] == '\r')
        end--;
    size_t start = end;
    while (start > 0 && doc[start - 1] != '\n' && doc[start - 1] != '\r')
        start--;
    for (size_t p = start; p < end; p++) {
        if (doc[p] != '>' && doc[p] != '|')
            continue;
        size_t q = p + 1;
        char chomping = 0;
        while (q < end && q < p + 3 && strchr("123456789+-", doc[q])) {
            if (doc[q] == '+' || doc[q] == '-')
                chomping = doc[q];
            q++;
        }
        if (q == end || doc[q] == ' ' || doc[q] == '\t')
            return chomping;
    }
    return 0;
}

typedef struct line {
    const char *text;
    size_t len;
    size_t spaces; /* leading spaces */
    bool has_break;
} line;

/* The line starting at *at in src[0..len); advances *at past its break. */
static line next_line(const char *src, size_t len, size_t *at)
{
    line l = {src + *at, 0, 0, false};
    size_t i = *at;
    while (i < len && src[i] != '\n' && src[i] != '\r')
        i++;
    l.len = (size_t)(src + i - l.text);
    l.has_break = i < len;
    if (i + 1 < len && src[i] == '\r' && src[i + 1] == '\n')
        i += 2;
    else if (i < len)
        i++;
    *at = i;
    while (l.spaces < l.len && l.text[l.spaces] == ' ')
        l.spaces++;
    return l;
}

/* Content indentation: libfyaml strips it right, so compare the first content line with its text.
 */
static size_t content_indent(const char *src, size_t len, const char *text, size_t text_len,
                             bool *found)
{
    size_t at = 0;
    *found = false;
    while (at < len) {
        line l = next_line(src, len, &at);
        if (l.spaces == l.len)
            continue;
        size_t i = 0, lead = 0;
        while (i < text_len && text[i] == '\n')
            i++;
        while (i + lead < text_len && text[i + lead] == ' ')
            lead++;
        *found = l.spaces >= lead;
        return l.spaces - (*found ? lead : 0);
    }
    return 0;
}

static void newlines(ivrsm_buf *out, size_t n)
{
    while (n--)
        ivrsm_buf_putc(out, '\n');
}

/*
 * YAML 1.2 folding of the block's lines (`indent`: the content indentation).
 * Between two text lines a line break becomes a space, or is dropped when
 * empty lines follow it (each empty line giving "\n"); around a
 * more-indented line it is kept. Then chomping: strip drops the final line
 * break, clip keeps one, keep keeps the trailing empty lines too.
 */
static void fold(const char *src, size_t len, size_t indent, char chomping, ivrsm_buf *out)
{
    enum { NONE, TEXT, SPACED } prev = NONE;
    size_t empties = 0, at = 0;
    bool last_break = false;
    while (at < len) {
        line l = next_line(src, len, &at);
        if (l.spaces == l.len && (l.spaces <= indent || !l.has_break)) {
            if (!l.has_break)
                break; /* the indentation of whatever follows the scalar */
            empties++;
            continue;
        }
        if (l.spaces < indent)
            break; /* a less indented line is no longer the scalar's */
        const char *c = l.text + indent;
        size_t clen = l.len - indent;
        int cur = (c[0] == ' ' || c[0] == '\t') ? SPACED : TEXT;
        if (prev == NONE)
            newlines(out, empties);
        else if (prev == TEXT && cur == TEXT && empties == 0)
            ivrsm_buf_putc(out, ' ');
        else
            newlines(out, empties + (prev == TEXT && cur == TEXT ? 0 : 1));
        ivrsm_buf_append(out, c, clen);
        empties = 0;
        prev = cur;
        last_break = l.has_break;
    }
    if (prev == NONE) {
        if (chomping == '+')
            newlines(out, empties);
        return;
    }
    if (chomping == '-')
        return;
    newlines(out, (last_break ? 1 : 0) + (chomping == '+' ? empties : 0));
}

/*
 * Whether the scalar's source [src, src + len) ends inside a line of its
 * text: something else than indentation after its last line break.
 */
static bool ends_inside_text(const char *src, size_t len)
{
    size_t i = len;
    while (i > 0 && src[i - 1] != '\n' && src[i - 1] != '\r')
        i--;
    for (; i < len; i++)
        if (src[i] != ' ')
            return true;
    return false;
}

int ivrsm_yaml_block_text(struct fy_token *t, struct fy_token_iter *it, const char *doc,
                          size_t doc_len, ivrsm_buf *out)
{
    if (iterate(t, it, out) != 0)
        return -1;
    enum fy_scalar_style style = fy_token_scalar_style(t);
    if (style != FYSS_FOLDED && style != FYSS_LITERAL)
        return 0;
    const struct fy_mark *start = fy_token_start_mark(t), *end = fy_token_end_mark(t);
    if (!start || !end || start->input_pos > end->input_pos || end->input_pos > doc_len)
        return 0;
    const char *src = doc + start->input_pos;
    size_t len = end->input_pos - start->input_pos;
    char chomping = header_chomping(doc, start->input_pos);
    size_t want = fy_token_get_text_length(t);
    /*
     * A block scalar whose last line of text ends the document, without a
     * line break, has no final line break to clip or keep (YAML 1.2,
     * 8.1.1.2: the chomped last break is then the end of the input).
     * libfyaml 0.7.12 writes one all the same (`k: |` or `k: >` / `  If you`
     * at the end of the file gave "If you\n"; PyYAML gives "If you"), and
     * its length of a folded one is then no guide: the folding is done here.
     */
    bool trust_length = true;
    if (chomping != '-' && end->input_pos == doc_len && ends_inside_text(src, len)) {
        if (out->len > 0 && out->data[out->len - 1] == '\n')
            out->data[--out->len] = '\0';
        trust_length = false;
    }
    if (style != FYSS_FOLDED || (trust_length && out->len == want))
        return 0;
    bool found;
    size_t indent = content_indent(src, len, ivrsm_buf_str(out), out->len, &found);
    if (!found)
        return 0;
    ivrsm_buf folded = IVRSM_BUF_INIT(out->mem);
    fold(src, len, indent, chomping, &folded);
    if (folded.failed) {
        ivrsm_buf_free(&folded);
        return -1;
    }
    if (!trust_length || folded.len == want) {
        ivrsm_buf_free(out);
        *out = folded;
    } else {
        ivrsm_buf_free(&folded);
    }
    return 0;
}
