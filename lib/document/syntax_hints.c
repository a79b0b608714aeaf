/*
 * Hints for the usual syntax mistakes (see syntax_hints.h). The parsers'
 * messages are exact but speak of their own states ("invalid multiline plain
 * key"); a newcomer needs the cause: the indentation of two lines, a text
 * whose quotes or colon end it early, or JSON's lack of comments.
 */
#include <stdio.h>
#include <string.h>

#include "syntax_hints.h"
#include "text.h"
#include "utf8.h"

/* libfyaml's messages that a wrong indentation causes (libfyaml 0.7-0.9, fy-parse.c). */
static const char *const indent_messages[] = {
    "indent", /* "invalid indentation in mapping", "wrongly indented ...", "invalid ... indent for"
               */
    "multiline plain key",
    "at the end of block",
    "invalid value after mapping",
    "did not find expected key",
    "block sequence entries not allowed",
    "block sequence on the same line",
    "block mapping key on same line",
    "nested block mapping on the same line",
};

static bool indentation_message(const char *message)
{
    for (size_t i = 0; i < sizeof(indent_messages) / sizeof(*indent_messages); i++)
        if (strstr(message, indent_messages[i]))
            return true;
    return false;
}

/* Byte offset of the start of 1-based `line`, or len. */
static size_t line_start(const char *data, size_t len, int line)
{
    size_t i = 0;
    for (int l = 1; l < line && i < len; i++)
        if (data[i] == '\n')
            l++;
    return i;
}

/* Leading spaces of the line at `start`; -1 for a blank line or a comment. */
static int indentation(const char *data, size_t len, size_t start)
{
    size_t i = start;
    while (i < len && data[i] == ' ')
        i++;
    if (i >= len || data[i] == '\n' || data[i] == '\r' || data[i] == '#')
        return -1;
    return (int)(i - start);
}

/* For a line "  - key: x", where its content starts after the "- " (0 if it is no list item). */
static int item_content(const char *data, size_t len, size_t start, int indent)
{
    size_t i = start + (size_t)indent;
    if (i + 1 >= len || data[i] != '-' || data[i + 1] != ' ')
        return 0;
    i++;
    while (i < len && data[i] == ' ')
        i++;
    if (i >= len || data[i] == '\n' || data[i] == '\r' || data[i] == '#')
        return 0;
    return (int)(i - start);
}

/* The nearest line before `line` (after it when `step` is 1) with content: its number and
 * indentation. */
static int neighbour(const char *data, size_t len, int line, int step, int *indent)
{
    for (int l = line + step; l >= 1; l += step) {
        size_t start = line_start(data, len, l);
        if (start >= len)
            return 0;
        *indent = indentation(data, len, start);
        if (*indent >= 0)
            return l;
    }
    return 0;
}

static const char *spaces(int n)
{
    return n == 1 ? "space" : "spaces";
}

/*
 * The key of the line at `start` ("prompt" of "    prompt: Hours: 9 to 5."), its length, and
 * where its value starts; false when the line holds no "key: " before a plain text.
 */
static bool plain_value_after_key(const char *data, size_t len, size_t start, size_t *key,
                                  size_t *key_len, size_t *value)
{
    size_t i = start;
    while (i < len && (data[i] == ' ' || data[i] == '-'))
        i++;
    *key = i;
    while (i < len && data[i] != '\n' && !(data[i] == ':' && i + 1 < len && data[i + 1] == ' '))
        i++;
    if (i >= len || data[i] != ':')
        return false;
    *key_len = i - *key;
    i++;
    while (i < len && data[i] == ' ')
        i++;
    *value = i;
    return i < len && !strchr("\"'{[|>&*!#\n", data[i]) && *key_len > 0;
}

bool ivrsm_yaml_text_hint(const char *data, size_t len, int line, const char *message, char *out,
                          size_t cap)
{
    if (!message || line < 1)
        return false;
    if (strstr(message, "trailing content after double-quoted scalar")) {
        snprintf(out, cap,
                 "a text in double quotes ends at the next '\"': write a quote inside it as \\\", "
                 "or put the whole text in single quotes: 'Say \"yes\" to continue.'");
        return true;
    }
    if (strstr(message, "trailing content after single-quoted scalar")) {
        snprintf(out, cap,
                 "a text in single quotes ends at the next quote: write an apostrophe inside it "
                 "twice ('It''s closed.'), or put the whole text in double quotes: \"It's "
                 "closed.\"");
        return true;
    }
    if (!strstr(message, "on the same line"))
        return false;
    size_t key, key_len, value;
    if (!plain_value_after_key(data, len, line_start(data, len, line), &key, &key_len, &value))
        return false;
    snprintf(out, cap,
             "the text after '%.*s:' holds ': ' or starts with '- ', which YAML reads as a key or "
             "a list: put the whole text in quotes (\"Hours: 9 to 5.\") or after '>' on the next "
             "line, indented",
             (int)(key_len > 64 ? 64 : key_len), data + key);
    return true;
}

bool ivrsm_yaml_indent_hint(const char *data, size_t len, int line, const char *message, char *out,
                            size_t cap)
{
    if (!message || line < 1 || !indentation_message(message))
        return false;
    int here = indentation(data, len, line_start(data, len, line));
    if (here < 0)
        return false;
    int other_indent;
    if (strstr(message, "multiline plain key")) {
        /* A text where a key was expected runs on into the next line. */
        int next = neighbour(data, len, line, 1, &other_indent);
        if (!next)
            return false;
        snprintf(out, cap,
                 "line %d, indented by %d %s, runs on into line %d, indented by %d, where a key "
                 "was expected: is a ':' missing after the key on line %d, or is line %d "
                 "indented too far?",
                 line, here, spaces(here), next, other_indent, line, next);
        return true;
    }
    int above = neighbour(data, len, line, -1, &other_indent);
    if (!above)
        return false;
    char item[48] = "";
    int content = item_content(data, len, line_start(data, len, above), other_indent);
    if (content)
        snprintf(item, sizeof(item), " (%d after its '-')", content);
    snprintf(out, cap,
             "check the indentation: line %d is indented by %d %s, line %d above it by %d%s; "
             "the keys of one map line up, and a key's contents go further right",
             line, here, spaces(here), above, other_indent, item);
    return true;
}

bool ivrsm_json_comment_at(const char *data, size_t len, size_t offset, int *comment_line,
                           int *comment_column)
{
    for (size_t i = 0; i < len && i <= offset; i++) {
        char c = data[i];
        if (c == '"') {
            i = ivrsm_json_string_end(data, len, i);
        } else if (c == '#' ||
                   (c == '/' && i + 1 < len && (data[i + 1] == '/' || data[i + 1] == '*'))) {
            int line = 1;
            for (size_t k = 0; k < i; k++)
                line += data[k] == '\n';
            *comment_line = line;
            *comment_column = ivrsm_utf8_column_at(data, i);
            return true;
        }
    }
    return false;
}
