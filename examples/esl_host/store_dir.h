/*
 * The snapshot directory store (--snapshot-dir): see store_dir.c.
 */
#ifndef ESL_HOST_STORE_DIR_H
#define ESL_HOST_STORE_DIR_H

#include "store.h"

/* A store of DIR (an existing directory). NULL when out of memory. */
store *store_dir_new(const char *dir, const store_events *ev);

#endif
