/* The videos of a corpus: listing, keys, shards and settling. */
#include "elements/corpus_list.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>

typedef enum {
  CORPUS_FOLDER,
  CORPUS_LIST_FILE,
  CORPUS_GLOB,
  CORPUS_SINGLE,
} corpus_kind;

struct dd_corpus_list {
  char *location;
  corpus_kind kind;
  char **extensions;            /* lower case, no dot */
  guint shard_index, shard_count;
  GHashTable *released;         /* keys already returned */
  GHashTable *last_seen;        /* key -> "size:mtime" on the previous scan */
};

/* A video found by a scan. */
typedef struct {
  char *key;
  char *path;                   /* a local path, or NULL for a URI */
  char *uri;
} candidate;

static void
candidate_free (gpointer p)
{
  candidate *c = p;
  g_free (c->key);
  g_free (c->path);
  g_free (c->uri);
  g_free (c);
}

static gint
candidate_compare (gconstpointer a, gconstpointer b)
{
  const candidate *ca = *(candidate * const *) a;
  const candidate *cb = *(candidate * const *) b;
  return strcmp (ca->key, cb->key);
}

guint
dd_corpus_shard_of (const char *key, guint shard_count)
{
  guint64 h = 14695981039346656037ULL;
  for (const unsigned char *p = (const unsigned char *) key; *p; p++) {
    h ^= *p;
    h *= 1099511628211ULL;
  }
  return (guint) (h % shard_count);
}

static gboolean
has_glob_chars (const char *s)
{
  return strpbrk (s, "*?[") != NULL;
}

static gboolean
is_list_name (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  return g_str_has_suffix (lower, ".txt") || g_str_has_suffix (lower, ".list");
}

dd_corpus_list *
dd_corpus_list_new (const char *location, const char *extensions,
    guint shard_index, guint shard_count, GError **error)
{
  if (location == NULL || *location == '\0') {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "no location given: set it to a folder of videos, a list file "
        "(.txt or .list), a glob pattern or one video");
    return NULL;
  }
  if (shard_count < 1 || shard_index >= shard_count) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "shard-index %u is not below shard-count %u: shards are numbered "
        "from 0 to shard-count - 1", shard_index, shard_count);
    return NULL;
  }
  corpus_kind kind;
  if (g_file_test (location, G_FILE_TEST_IS_DIR))
    kind = CORPUS_FOLDER;
  else if (g_file_test (location, G_FILE_TEST_IS_REGULAR))
    kind = is_list_name (location) ? CORPUS_LIST_FILE : CORPUS_SINGLE;
  else if (has_glob_chars (location))
    kind = CORPUS_GLOB;
  else {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "location %s does not exist (give a folder of videos, a list file, "
        "a glob pattern or one video)", location);
    return NULL;
  }
  dd_corpus_list *list = g_new0 (dd_corpus_list, 1);
  list->location = g_strdup (location);
  list->kind = kind;
  g_autofree char *lower = g_ascii_strdown (extensions ? extensions :
      DD_CORPUS_DEFAULT_EXTENSIONS, -1);
  list->extensions = g_strsplit (lower, ",", -1);
  for (char **e = list->extensions; *e; e++)
    g_strstrip (*e);
  list->shard_index = shard_index;
  list->shard_count = shard_count;
  list->released = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  list->last_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  return list;
}

void
dd_corpus_list_free (dd_corpus_list *list)
{
  if (list == NULL)
    return;
  g_free (list->location);
  g_strfreev (list->extensions);
  g_hash_table_unref (list->released);
  g_hash_table_unref (list->last_seen);
  g_free (list);
}

static gboolean
wanted_extension (const dd_corpus_list *list, const char *name)
{
  const char *dot = strrchr (name, '.');
  if (dot == NULL)
    return FALSE;
  g_autofree char *ext = g_ascii_strdown (dot + 1, -1);
  return g_strv_contains ((const char *const *) list->extensions, ext);
}

static void
add_local (GPtrArray *out, const char *key, const char *path)
{
  candidate *c = g_new0 (candidate, 1);
  c->key = g_strdup (key);
  c->path = g_strdup (path);
  c->uri = g_filename_to_uri (path, NULL, NULL);
  if (c->uri == NULL) {
    /* A relative path: make it absolute first. */
    g_autofree char *abs = g_canonicalize_filename (path, NULL);
    c->uri = g_filename_to_uri (abs, NULL, NULL);
  }
  g_ptr_array_add (out, c);
}

static gboolean
scan_folder (const dd_corpus_list *list, GPtrArray *out, GError **error)
{
  GDir *dir = g_dir_open (list->location, 0, error);
  if (dir == NULL)
    return FALSE;
  const char *name;
  while ((name = g_dir_read_name (dir))) {
    if (name[0] == '.' || !wanted_extension (list, name))
      continue;
    g_autofree char *path = g_build_filename (list->location, name, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
      add_local (out, name, path);
  }
  g_dir_close (dir);
  return TRUE;
}

static gboolean
scan_list_file (const dd_corpus_list *list, GPtrArray *out, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (list->location, &text, NULL, error))
    return FALSE;
  g_autofree char *base = g_path_get_dirname (list->location);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++) {
    char *entry = g_strstrip (*l);
    if (*entry == '\0' || *entry == '#')
      continue;
    g_autofree char *scheme = g_uri_parse_scheme (entry);
    if (scheme && strcmp (scheme, "file") != 0) {
      candidate *c = g_new0 (candidate, 1);
      c->key = g_strdup (entry);
      c->uri = g_strdup (entry);
      g_ptr_array_add (out, c);
      continue;
    }
    g_autofree char *local = scheme
        ? g_filename_from_uri (entry, NULL, NULL) : g_strdup (entry);
    if (local == NULL)
      continue;
    g_autofree char *path = g_path_is_absolute (local) ? g_strdup (local)
        : g_build_filename (base, local, NULL);
    add_local (out, entry, path);
  }
  return TRUE;
}

/* The pattern's leading folders without wildcards, with their separator. */
static gsize
fixed_prefix_length (const char *pattern)
{
  gsize len = 0;
  for (const char *p = pattern; *p && !strchr ("*?[", *p); p++)
    if (*p == G_DIR_SEPARATOR)
      len = (gsize) (p - pattern) + 1;
  return len;
}

static gboolean
scan_glob (const dd_corpus_list *list, GPtrArray *out, GError **error)
{
  glob_t g;
  int rc = glob (list->location, GLOB_ERR, NULL, &g);
  if (rc == GLOB_NOMATCH)
    return TRUE;
  if (rc != 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO,
        "cannot expand the pattern %s: %s", list->location,
        rc == GLOB_NOSPACE ? "out of memory" : "a folder cannot be read");
    return FALSE;
  }
  gsize prefix = fixed_prefix_length (list->location);
  for (size_t i = 0; i < g.gl_pathc; i++)
    if (g_file_test (g.gl_pathv[i], G_FILE_TEST_IS_REGULAR))
      add_local (out, g.gl_pathv[i] + prefix, g.gl_pathv[i]);
  globfree (&g);
  return TRUE;
}

/* A local file is settled when its size and time are those of the
 * previous scan; remembers them for the next. The time to the
 * nanosecond: polls come faster than a second, and a writer may rewrite
 * a block without changing the size. */
static gboolean
settled (dd_corpus_list *list, const candidate *c)
{
  struct stat st;
  if (stat (c->path, &st) != 0)
    return FALSE;
  char *state = g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ".%09ld",
      (gint64) st.st_size, (gint64) st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  const char *before = g_hash_table_lookup (list->last_seen, c->key);
  gboolean same = before && strcmp (before, state) == 0;
  g_hash_table_replace (list->last_seen, g_strdup (c->key), state);
  return same;
}

GPtrArray *
dd_corpus_list_scan (dd_corpus_list *list, gboolean settle, GPtrArray **keys,
    GError **error)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (candidate_free);
  gboolean ok = TRUE;
  switch (list->kind) {
    case CORPUS_FOLDER:
      ok = scan_folder (list, found, error);
      break;
    case CORPUS_LIST_FILE:
      ok = scan_list_file (list, found, error);
      break;
    case CORPUS_GLOB:
      ok = scan_glob (list, found, error);
      break;
    case CORPUS_SINGLE:{
      g_autofree char *name = g_path_get_basename (list->location);
      add_local (found, name, list->location);
      break;
    }
  }
  if (!ok) {
    g_ptr_array_unref (found);
    return NULL;
  }
  g_ptr_array_sort (found, candidate_compare);
  GPtrArray *uris = g_ptr_array_new_with_free_func (g_free);
  if (keys)
    *keys = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < found->len; i++) {
    const candidate *c = g_ptr_array_index (found, i);
    if (dd_corpus_shard_of (c->key, list->shard_count) != list->shard_index
        || g_hash_table_contains (list->released, c->key))
      continue;
    if (settle && c->path && !settled (list, c))
      continue;
    g_hash_table_add (list->released, g_strdup (c->key));
    g_ptr_array_add (uris, g_strdup (c->uri));
    if (keys)
      g_ptr_array_add (*keys, g_strdup (c->key));
  }
  g_ptr_array_unref (found);
  return uris;
}
