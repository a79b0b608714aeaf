/*
 * The types of the machine's inputs (`inputs:`), for the compiler (defaults)
 * and the runtime (the host's ctx at session start).
 */
#include "model.h"

static const char *const input_type_names[] = {"any",     "string", "number", "integer",
                                               "boolean", "object", "array"};

const char *ivrsm_input_type_name(m_input_type t)
{
    return (unsigned)t < sizeof(input_type_names) / sizeof(*input_type_names) ? input_type_names[t]
                                                                              : "any";
}

bool ivrsm_input_type_holds(m_input_type t, const json_t *v)
{
    switch (t) {
    case M_INPUT_STRING:
        return json_is_string(v);
    case M_INPUT_NUMBER:
        return json_is_number(v);
    case M_INPUT_INTEGER:
        return json_is_integer(v) ||
               (json_is_real(v) && json_real_value(v) == (double)(json_int_t)json_real_value(v));
    case M_INPUT_BOOLEAN:
        return json_is_boolean(v);
    case M_INPUT_OBJECT:
        return json_is_object(v);
    case M_INPUT_ARRAY:
        return json_is_array(v);
    case M_INPUT_ANY:
        return true;
    }
    return true;
}

size_t ivrsm_machine_input_count(const ivrsm_machine *m)
{
    return m ? m->input_count : 0;
}

const ivrsm_input *ivrsm_machine_input(const ivrsm_machine *m, size_t index)
{
    return m && index < m->input_count ? &m->inputs[index].pub : NULL;
}
