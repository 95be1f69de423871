/* The videos of a corpus: what ddcorpussrc's `location` names, in a fixed
 * order, split between machines.
 *
 * A location is
 *   - a folder: its files (not sub-folders) whose extension is in the
 *     comma-separated `extensions` list, hidden files (".name") left out;
 *   - a list file (a name ending in .txt or .list): one path or URI per
 *     line, relative paths from the list's folder, blank lines and lines
 *     starting with '#' ignored;
 *   - a glob(7) pattern (a location that does not exist and holds *, ? or
 *     [): the regular files it matches;
 *   - any other file: that one video.
 *
 * Every video has a key: its name inside the folder, the line of the list,
 * the match with the pattern's fixed leading folders removed. Videos play
 * in the order of their keys, and a video belongs to shard
 * fnv1a64(key) % shard_count, so every machine given the same corpus (even
 * mounted elsewhere) agrees on the split without talking to the others.
 */
#ifndef DD_ELEMENTS_CORPUS_LIST_H
#define DD_ELEMENTS_CORPUS_LIST_H

#include <glib.h>

typedef struct dd_corpus_list dd_corpus_list;

#define DD_CORPUS_DEFAULT_EXTENSIONS \
  "mp4,mkv,webm,mov,m4v,avi,ts,mts,m2ts,mpg,mpeg,ogv,flv,wmv,3gp"

/* Fails, saying why, when the location is none of the above or the shard is
 * out of range (shard_index < shard_count, shard_count >= 1). */
dd_corpus_list *dd_corpus_list_new (const char *location,
    const char *extensions, guint shard_index, guint shard_count,
    GError **error);
void dd_corpus_list_free (dd_corpus_list *list);

/* Looks at the location again and returns the URIs of this shard's videos
 * not returned before, in key order (free with g_ptr_array_unref), and in
 * *keys, when asked, their keys in the same order. With
 * `settle`, a local file is returned only once its size and modification
 * time are those of the previous scan, so a file still being copied or
 * recorded waits for the next scan. Fails when the location cannot be read
 * (the folder or list file gone). */
GPtrArray *dd_corpus_list_scan (dd_corpus_list *list, gboolean settle,
    GPtrArray **keys, GError **error);

/* The shard of a key. */
guint dd_corpus_shard_of (const char *key, guint shard_count);

#endif
