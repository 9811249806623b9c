/* tests/dmarc-stub.h — an in-memory DNS for the DMARC tests (header-only,
 * included by test-dmarc.c and test-dmarc-suite.c).
 *
 * Semantics of $BIMI_UPSTREAM_DIR/dmarc-scenarios-derived/FORMAT.md: a name
 * with records of the asked type answers them; a name with other types only
 * is NODATA; an absent name is NXDOMAIN; a "timeout" name answers every
 * query with temperror. Names are case-insensitive. Every lookup is logged
 * ("TYPE name") so tests can pin the exact query sequence.
 */
#ifndef BIMI_TESTS_DMARC_STUB_H
#define BIMI_TESTS_DMARC_STUB_H

#include "engine/dmarc.h"
#include "engine/dmarc-private.h"

#include <string.h>

typedef struct {
  GHashTable *names;   /* lower-case name → GHashTable (type as pointer → GPtrArray of GBytes*), or NULL = timeout */
  GPtrArray *log;      /* "TXT _dmarc.example.com" ... */
} Stub;

static G_GNUC_UNUSED Stub *
stub_new(void)
{
  Stub *s = g_new0(Stub, 1);
  s->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
  s->log = g_ptr_array_new_with_free_func(g_free);
  return s;
}

static G_GNUC_UNUSED void
stub_free(Stub *s)
{
  g_hash_table_unref(s->names);
  g_ptr_array_unref(s->log);
  g_free(s);
}

static G_GNUC_UNUSED GHashTable *
stub_node(Stub *s, const char *name)
{
  g_autofree char *key = g_ascii_strdown(name, -1);
  GHashTable *types = g_hash_table_lookup(s->names, key);
  if (types == NULL) {
    types = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) g_ptr_array_unref);
    g_hash_table_insert(s->names, g_steal_pointer(&key), types);
  }
  return types;
}

/* Adds one record; for TXT, @data is the joined character-strings. */
static G_GNUC_UNUSED void
stub_add(Stub *s, const char *name, BimiDnsType type, const char *data, gsize len)
{
  GHashTable *types = stub_node(s, name);
  GPtrArray *rrs = g_hash_table_lookup(types, GINT_TO_POINTER(type));
  if (rrs == NULL) {
    rrs = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    g_hash_table_insert(types, GINT_TO_POINTER(type), rrs);
  }
  g_ptr_array_add(rrs, g_bytes_new(data, len));
}

static G_GNUC_UNUSED void
stub_txt(Stub *s, const char *name, const char *text)
{
  stub_add(s, name, BIMI_DNS_TYPE_TXT, text, strlen(text));
}

/* Marks @name as timing out for every type. */
static G_GNUC_UNUSED void
stub_timeout(Stub *s, const char *name)
{
  GHashTable *types = stub_node(s, name);
  g_hash_table_insert(types, GINT_TO_POINTER(-1), g_ptr_array_new());
}

static G_GNUC_UNUSED const char *
stub_type_name(BimiDnsType type)
{
  switch (type) {
  case BIMI_DNS_TYPE_A: return "A";
  case BIMI_DNS_TYPE_AAAA: return "AAAA";
  case BIMI_DNS_TYPE_MX: return "MX";
  case BIMI_DNS_TYPE_TXT: return "TXT";
  default: return "?";
  }
}

static G_GNUC_UNUSED gboolean
stub_lookup(gpointer user_data, const char *name, BimiDnsType type, BimiDmarcDnsReply *out, GError **error)
{
  Stub *s = user_data;
  g_autofree char *key = g_ascii_strdown(name, -1);
  GHashTable *types = g_hash_table_lookup(s->names, key);
  GPtrArray *rrs;

  g_ptr_array_add(s->log, g_strdup_printf("%s %s", stub_type_name(type), key));
  if (types == NULL) {
    out->status = BIMI_DNS_NXDOMAIN;
    return TRUE;
  }
  if (g_hash_table_contains(types, GINT_TO_POINTER(-1))) {
    out->status = BIMI_DNS_TEMPERROR;
    out->detail = g_strdup("timeout");
    return TRUE;
  }
  rrs = g_hash_table_lookup(types, GINT_TO_POINTER(type));
  if (rrs == NULL || rrs->len == 0) {
    out->status = BIMI_DNS_NODATA;
    return TRUE;
  }
  out->status = BIMI_DNS_NOERROR;
  if (type == BIMI_DNS_TYPE_TXT) {
    out->texts = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    for (guint i = 0; i < rrs->len; i++)
      g_ptr_array_add(out->texts, g_bytes_ref(g_ptr_array_index(rrs, i)));
  }
  return TRUE;
}

#endif /* BIMI_TESTS_DMARC_STUB_H */
