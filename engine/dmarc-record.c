/* engine/dmarc-record.c — the DMARC policy record (RFC 9989 §4.7, RFC 7489 §6.3-6.4).
 *
 * Implements:
 *  - record identification: the first tag must be "v" with the exact,
 *    case-sensitive value "DMARC1"; WSP around "=" is allowed (RFC 7489 §6.4
 *    ABNF dmarc-version, RFC 9989 §4.7). Anything else is not a DMARC record
 *    (BIMI_DMARC_ERROR_NOT_DMARC) and is discarded by policy discovery.
 *  - the tag-list (engine/taglist, RFC 6376 §3.2 syntax, empty tag-specs
 *    skipped); tag names and values (other than v) are case-insensitive, as
 *    ABNF literals are;
 *  - tags of the RFC in force: v p sp np psd t adkim aspf rua ruf fo in
 *    RFC 9989 mode; v p sp adkim aspf rua ruf fo pct rf ri in RFC 7489 mode.
 *    Tags of the other RFC are unknown tags: ignored (RFC 7489 §6.3 "unknown
 *    tags MUST be ignored", RFC 9989 §4.7 likewise).
 *  - invalid values: the tag is treated as absent (its default applies) and a
 *    warning is recorded (RFC 7489 §6.3: "syntax errors in the remainder of
 *    the record SHOULD be discarded in favor of default values"). p stays
 *    "absent" so the evaluator applies the rua rule of RFC 7489 §6.6.3 step 6
 *    and RFC 9989 §4.7 (act as p=none when rua has a valid URI, else no DMARC).
 *
 * Deliberate choices:
 *  - A record that starts with v=DMARC1 but is no tag-list at all (a stray
 *    byte, a duplicate tag) is BIMI_DMARC_ERROR_SYNTAX: the evaluator reports
 *    permerror (RFC 8601 §2.7.1 names "syntactically incorrect DMARC record" as
 *    the example of a DMARC permerror) rather than guessing.
 *  - rua/ruf keep at most BIMI_DMARC_MAX_REPORT_URIS valid URIs (RFC 7489 §6.2
 *    lets a receiver cap them); invalid URIs are dropped with a warning.
 */
#include "engine/dmarc.h"
#include "engine/dmarc-private.h"
#include "engine/base/base-chars.h"
#include "engine/base/base-mem.h"
#include "engine/limits.h"
#include "engine/taglist.h"

#include <string.h>

G_DEFINE_QUARK(bimi-dmarc-error-quark, bimi_dmarc_error)

BIMI_DEFINE_FREE_FUNC(BimiDmarcRecord, bimi_dmarc_record_free, record)
{
  g_strfreev(record->rua);
  g_strfreev(record->ruf);
  BIMI_FREE_ALL(record->fo, record->rf);
  g_strfreev(record->warnings);
}

BimiDmarcRecord *
bimi_dmarc_record_copy(const BimiDmarcRecord *record)
{
  BimiDmarcRecord *copy;

  g_return_val_if_fail(record != NULL, NULL);
  copy = g_memdup2(record, sizeof *record);
  copy->rua = g_strdupv(record->rua);
  copy->ruf = g_strdupv(record->ruf);
  copy->fo = g_strdup(record->fo);
  copy->rf = g_strdup(record->rf);
  copy->warnings = g_strdupv(record->warnings);
  return copy;
}

/* ---- the parsed-record cache (issue 21) ---- */

typedef struct {
  BimiDmarcRecord *record; /* or, when the text did not parse: */
  GQuark domain;
  gint code;
  char *message;
} CachedParse;

BIMI_DEFINE_STATIC_FREE_FUNC(CachedParse, cached_parse_free, c)
{
  bimi_dmarc_record_free(c->record);
  g_free(c->message);
}

struct _BimiDmarcRecordCache {
  GMutex lock;
  GHashTable *entries; /* GBytes (mode byte, then the text) → CachedParse */
};

BimiDmarcRecordCache *
bimi_dmarc_record_cache_new(void)
{
  BimiDmarcRecordCache *cache = g_new0(BimiDmarcRecordCache, 1);

  g_mutex_init(&cache->lock);
  cache->entries = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref,
                                         (GDestroyNotify) cached_parse_free);
  return cache;
}

BIMI_DEFINE_FREE_FUNC(BimiDmarcRecordCache, bimi_dmarc_record_cache_free, cache)
{
  g_hash_table_unref(cache->entries);
  g_mutex_clear(&cache->lock);
}

guint
bimi_dmarc_record_cache_size(BimiDmarcRecordCache *cache)
{
  g_return_val_if_fail(cache != NULL, 0);
  g_mutex_lock(&cache->lock);
  guint n = g_hash_table_size(cache->entries);
  g_mutex_unlock(&cache->lock);
  return n;
}

/* The answer of @c, as bimi_dmarc_record_parse() gives it. */
static BimiDmarcRecord *
cached_answer(const CachedParse *c, GError **error)
{
  if (c->record != NULL)
    return bimi_dmarc_record_copy(c->record);
  g_set_error_literal(error, c->domain, c->code, c->message);
  return NULL;
}

BimiDmarcRecord *
bimi_dmarc_record_cache_parse(BimiDmarcRecordCache *cache, const char *text, gsize len, BimiDmarcMode mode,
                              GError **error)
{
  g_return_val_if_fail(text != NULL || len == 0, NULL);
  if (cache == NULL || len > BIMI_DMARC_MAX_RECORD_BYTES)
    return bimi_dmarc_record_parse(text, len, mode, error); /* too long: refused at once, never kept */

  guint8 key_bytes[BIMI_DMARC_MAX_RECORD_BYTES + 1];
  key_bytes[0] = (guint8) mode;
  if (len > 0)
    memcpy(key_bytes + 1, text, len);
  g_autoptr(GBytes) key = g_bytes_new_static(key_bytes, len + 1);
  BimiDmarcRecord *answer = NULL;
  gboolean hit = FALSE;

  g_mutex_lock(&cache->lock);
  const CachedParse *known = g_hash_table_lookup(cache->entries, key);
  if (known != NULL) {
    answer = cached_answer(known, error);
    hit = TRUE;
  }
  g_mutex_unlock(&cache->lock);
  if (hit)
    return answer;

  g_autoptr(GError) local = NULL;
  answer = bimi_dmarc_record_parse(text, len, mode, &local);
  CachedParse *c = g_new0(CachedParse, 1);
  if (answer != NULL) {
    c->record = bimi_dmarc_record_copy(answer);
  } else {
    c->domain = local->domain;
    c->code = local->code;
    c->message = g_strdup(local->message);
  }
  g_mutex_lock(&cache->lock);
  if (g_hash_table_size(cache->entries) >= BIMI_DMARC_RECORD_CACHE_MAX_ENTRIES)
    g_hash_table_remove_all(cache->entries);
  g_hash_table_replace(cache->entries, g_bytes_new(key_bytes, len + 1), c);
  g_mutex_unlock(&cache->lock);
  if (local != NULL)
    g_propagate_error(error, g_steal_pointer(&local));
  return answer;
}

/* The dmarc-version check on the raw bytes, before any tag-list parsing, so
 * that "some other txt record" is NOT_DMARC and not a syntax error. */
static gboolean
starts_with_version(const char *text, gsize len)
{
  return bimi_taglist_has_version(text, len, "DMARC1", BIMI_TAGLIST_VERSION_V_ANY_CASE | BIMI_TAGLIST_VERSION_END_STRICT);
}

static gboolean
parse_align(const char *value, BimiDmarcAlignMode *out)
{
  if (g_ascii_strcasecmp(value, "r") == 0)
    *out = BIMI_DMARC_ALIGN_RELAXED;
  else if (g_ascii_strcasecmp(value, "s") == 0)
    *out = BIMI_DMARC_ALIGN_STRICT;
  else
    return FALSE;
  return TRUE;
}

/* fo = 0 / 1 / d / s, colon-separated (RFC 7489 §6.3, RFC 9991 §3). */
static gboolean
valid_fo(const char *value)
{
  g_auto(GStrv) parts = g_strsplit(value, ":", -1);

  if (parts[0] == NULL)
    return FALSE;
  for (guint i = 0; parts[i] != NULL; i++) {
    const char *p = g_strstrip(parts[i]);
    if (strlen(p) != 1 || strchr("01dsDS", p[0]) == NULL)
      return FALSE;
  }
  return TRUE;
}

/* DMARC-URI = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ] (RFC 7489 §6.4). */
static gboolean
valid_dmarc_uri(const char *item)
{
  const char *bang = strrchr(item, '!');
  g_autofree char *uri = NULL;

  if (bang != NULL) {
    const char *s = bang + 1;
    gsize digits = 0;
    while (g_ascii_isdigit(s[digits]))
      digits++;
    if (digits > 0 && (s[digits] == '\0' ||
                       (strchr("kmgtKMGT", s[digits]) != NULL && s[digits + 1] == '\0')))
      uri = g_strndup(item, (gsize) (bang - item));
  }
  if (uri == NULL)
    uri = g_strdup(item);
  return *uri != '\0' && g_uri_is_valid(uri, G_URI_FLAGS_NONE, NULL);
}

static char **
parse_uris(const BimiTag *tag, GPtrArray *warnings)
{
  g_auto(GStrv) items = g_strsplit(tag->value, ",", -1);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
  guint dropped = 0;

  for (guint i = 0; items[i] != NULL; i++) {
    char *item = g_strstrip(items[i]);
    if (!valid_dmarc_uri(item)) {
      g_ptr_array_add(warnings, g_strdup_printf("%s: invalid URI \"%s\" ignored (offset %" G_GSIZE_FORMAT ")",
                                                tag->name, item, tag->value_offset));
      continue;
    }
    if (out->len >= BIMI_DMARC_MAX_REPORT_URIS) {
      dropped++;
      continue;
    }
    g_ptr_array_add(out, g_strdup(item));
  }
  if (dropped > 0)
    g_ptr_array_add(warnings, g_strdup_printf("%s: %u URIs beyond the first %u ignored", tag->name,
                                              dropped, BIMI_DMARC_MAX_REPORT_URIS));
  g_ptr_array_add(out, NULL);
  g_ptr_array_set_free_func(out, NULL);
  return (char **) g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

static void
warn_invalid(GPtrArray *warnings, const BimiTag *tag)
{
  g_ptr_array_add(warnings, g_strdup_printf("%s: invalid value \"%s\" ignored (offset %" G_GSIZE_FORMAT ")",
                                            tag->name, tag->value, tag->value_offset));
}

BimiDmarcRecord *
bimi_dmarc_record_parse(const char *text, gsize len, BimiDmarcMode mode, GError **error)
{
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail(text != NULL || len == 0, NULL);
  g_return_val_if_fail(mode == BIMI_DMARC_MODE_RFC9989 || mode == BIMI_DMARC_MODE_RFC7489, NULL);

  if (len > BIMI_DMARC_MAX_RECORD_BYTES) {
    g_set_error(error, BIMI_DMARC_ERROR, BIMI_DMARC_ERROR_LIMIT,
                "DMARC record of %" G_GSIZE_FORMAT " bytes exceeds %u", len, BIMI_DMARC_MAX_RECORD_BYTES);
    return NULL;
  }
  if (!starts_with_version(text, len)) {
    g_set_error(error, BIMI_DMARC_ERROR, BIMI_DMARC_ERROR_NOT_DMARC,
                "not a DMARC record: does not start with v=DMARC1 (offset 0)");
    return NULL;
  }
  g_autoptr(BimiTagList) list = bimi_taglist_parse(text, len, BIMI_TAGLIST_FLAG_ALLOW_EMPTY, &local);
  if (list == NULL) {
    g_set_error(error, BIMI_DMARC_ERROR,
                g_error_matches(local, BIMI_TAGLIST_ERROR, BIMI_TAGLIST_ERROR_LIMIT) ? BIMI_DMARC_ERROR_LIMIT
                                                                                      : BIMI_DMARC_ERROR_SYNTAX,
                "DMARC record: %s", local->message);
    return NULL;
  }

  g_autoptr(BimiDmarcRecord) rec = g_new0(BimiDmarcRecord, 1);
  rec->mode = mode;
  rec->adkim = BIMI_DMARC_ALIGN_RELAXED;
  rec->aspf = BIMI_DMARC_ALIGN_RELAXED;
  rec->pct = 100;
  rec->pct_rfc7489 = 100;
  rec->psd = BIMI_DMARC_PSD_U;
  if (mode == BIMI_DMARC_MODE_RFC7489) {
    rec->rf = g_strdup("afrf");
    rec->ri = 86400;
  }
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  guint n = bimi_taglist_get_n_tags(list);
  for (guint i = 1; i < n; i++) {
    const BimiTag *tag = bimi_taglist_get(list, i);
    g_autofree char *name = g_ascii_strdown(tag->name, -1);
    const char *v = tag->value;
    gboolean bis = mode == BIMI_DMARC_MODE_RFC9989;

    /* taglist refuses exact duplicates; "p" and "P" are the same DMARC tag. */
    if (g_hash_table_contains(seen, name) || strcmp(name, "v") == 0) {
      g_set_error(error, BIMI_DMARC_ERROR, BIMI_DMARC_ERROR_SYNTAX,
                  "DMARC record: duplicate tag \"%s\" at offset %" G_GSIZE_FORMAT, tag->name, tag->name_offset);
      return NULL;
    }
    g_hash_table_add(seen, g_strdup(name));

    if (strcmp(name, "p") == 0) {
      if (bimi_dmarc__policy_from_string(v, &rec->p))
        rec->has_p = TRUE;
      else
        warn_invalid(warnings, tag);
    } else if (strcmp(name, "sp") == 0) {
      if (bimi_dmarc__policy_from_string(v, &rec->sp)) {
        rec->has_sp = TRUE;
      } else {
        rec->sp_invalid = TRUE;
        warn_invalid(warnings, tag);
      }
    } else if (strcmp(name, "np") == 0 && bis) {
      if (bimi_dmarc__policy_from_string(v, &rec->np))
        rec->has_np = TRUE;
      else
        warn_invalid(warnings, tag);
    } else if (strcmp(name, "psd") == 0 && bis) {
      if (g_ascii_strcasecmp(v, "y") == 0)
        rec->psd = BIMI_DMARC_PSD_Y;
      else if (g_ascii_strcasecmp(v, "n") == 0)
        rec->psd = BIMI_DMARC_PSD_N;
      else if (g_ascii_strcasecmp(v, "u") != 0)
        warn_invalid(warnings, tag);
    } else if (strcmp(name, "t") == 0 && bis) {
      if (g_ascii_strcasecmp(v, "y") == 0)
        rec->testing = TRUE;
      else if (g_ascii_strcasecmp(v, "n") != 0)
        warn_invalid(warnings, tag);
    } else if (strcmp(name, "adkim") == 0) {
      if (!parse_align(v, &rec->adkim))
        warn_invalid(warnings, tag);
    } else if (strcmp(name, "aspf") == 0) {
      if (!parse_align(v, &rec->aspf))
        warn_invalid(warnings, tag);
    } else if (strcmp(name, "rua") == 0) {
      rec->rua = parse_uris(tag, warnings);
    } else if (strcmp(name, "ruf") == 0) {
      rec->ruf = parse_uris(tag, warnings);
    } else if (strcmp(name, "fo") == 0) {
      if (valid_fo(v))
        rec->fo = g_ascii_strdown(v, -1);
      else
        warn_invalid(warnings, tag);
    } else if (strcmp(name, "pct") == 0) {
      /* RFC 7489's tag; RFC 9989 ignores it, but BIMI's gate reads it either way (spec §4). */
      guint64 pct = 0;
      gboolean valid = g_ascii_string_to_unsigned(v, 10, 0, 100, &pct, NULL);
      rec->has_pct = TRUE;
      if (valid)
        rec->pct_rfc7489 = (guint) pct;
      if (!bis && valid)
        rec->pct = (guint) pct;
      else if (!bis)
        warn_invalid(warnings, tag);
    } else if (strcmp(name, "rf") == 0 && !bis) {
      if (*v != '\0') {
        g_free(rec->rf);
        rec->rf = g_ascii_strdown(v, -1);
      } else {
        warn_invalid(warnings, tag);
      }
    } else if (strcmp(name, "ri") == 0 && !bis) {
      guint64 ri = 0;
      if (g_ascii_string_to_unsigned(v, 10, 0, G_MAXUINT32, &ri, NULL))
        rec->ri = (guint32) ri;
      else
        warn_invalid(warnings, tag);
    }
    /* Anything else: unknown in the RFC in force, ignored. */
  }

  if (rec->rua == NULL)
    rec->rua = g_new0(char *, 1);
  if (rec->ruf == NULL)
    rec->ruf = g_new0(char *, 1);
  if (rec->fo == NULL)
    rec->fo = g_strdup("0");
  g_ptr_array_add(warnings, NULL);
  rec->warnings = (char **) g_ptr_array_free(g_steal_pointer(&warnings), FALSE);
  return g_steal_pointer(&rec);
}
