/* engine/caution-brands.c — registered brands and their two text forms (issue 19):
 * the operator's [caution] brands_file and the learned registry's record-cache value.
 *
 * Both are GKeyFile text (the GLib key-file format, close to the XDG Desktop Entry
 * syntax). Domains are host names (RFC 1123 §2.1, RFC 5890 IDNs as U- or A-labels),
 * kept as lower-case A-labels (libidn2, UTS #46). The registry value is untrusted (a
 * shared backend holds bytes other processes wrote): it gets the same checks as the
 * operator's file, and a libFuzzer target (fuzz/fuzz-caution-brands.c).
 */
#include "engine/caution-private.h"
#include "engine/base/base-domain.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-names.h"
#include "engine/limits.h"

#include <string.h>

static const char *const source_names[] = { "operator", "vmc", "cmc" };

BIMI_DEFINE_NAME_TO_STRING(BimiCautionSource, bimi_caution_source_to_string, source_names, "operator")

BIMI_DEFINE_FREE_FUNC(BimiCautionBrand, bimi_caution_brand_free, b)
{
  BIMI_FREE_ALL(b->name, b->alias, b->logo_sha256, b->record_domain);
  g_strfreev(b->domains);
}

BimiCautionBrand *
bimi_caution_brand_copy(const BimiCautionBrand *b)
{
  BimiCautionBrand *c;

  g_return_val_if_fail(b != NULL, NULL);
  c = g_new0(BimiCautionBrand, 1);
  c->name = g_strdup(b->name);
  c->alias = g_strdup(b->alias);
  c->domains = g_strdupv(b->domains);
  c->logo_sha256 = g_strdup(b->logo_sha256);
  c->source = b->source;
  c->record_domain = g_strdup(b->record_domain);
  c->not_after = b->not_after;
  return c;
}

/* A brand name: UTF-8, no control characters, 1..BIMI_CAUTION_MAX_NAME_BYTES after trimming. */
static gboolean
name_ok(const char *name, const char **why)
{
  gsize n = strlen(name);

  *why = NULL;
  if (n == 0)
    *why = "empty";
  else if (n > BIMI_CAUTION_MAX_NAME_BYTES)
    *why = "longer than BIMI_CAUTION_MAX_NAME_BYTES (256)";
  else if (!g_utf8_validate(name, (gssize) n, NULL))
    *why = "not UTF-8";
  for (gsize i = 0; *why == NULL && i < n; i++)
    if ((guchar) name[i] < 0x20 || name[i] == 0x7f)
      *why = "a control character";
  return *why == NULL;
}

/* @domain as a lower-case A-label host name, or NULL with *@why. */
static char *
domain_normalize(const char *domain, const char **why)
{
  g_autofree char *ascii = NULL;
  const char *reason = NULL;
  BimiDomainInfo info;

  *why = NULL;
  if (bimi_domain_to_ascii(domain, strlen(domain), &ascii, &reason) != BIMI_DOMAIN_IDN_OK) {
    *why = "not a domain name (IDNA)";
    return NULL;
  }
  if (!bimi_domain_check(ascii, strlen(ascii), BIMI_DNS_MAX_NAME_BYTES, 2, BIMI_DOMAIN_LDH, &info)) {
    *why = "not a host name with at least two labels";
    return NULL;
  }
  return g_steal_pointer(&ascii);
}

/* The brand of @name and @domains, or NULL with @error naming "@where". */
static BimiCautionBrand *
brand_new(const char *name, const char *const *domains, const char *where, GError **error)
{
  g_autoptr(BimiCautionBrand) b = g_new0(BimiCautionBrand, 1);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
  const char *why;

  if (!name_ok(name, &why)) {
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_SYNTAX, "%sname: %s", where, why);
    return NULL;
  }
  for (gsize i = 0; domains != NULL && domains[i] != NULL; i++) {
    g_autofree char *d = NULL;
    gboolean seen = FALSE;
    if (*domains[i] == '\0')
      continue;
    d = domain_normalize(domains[i], &why);
    if (d == NULL) {
      g_autofree char *shown = g_strescape(domains[i], NULL);
      g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_SYNTAX, "%sdomains: \"%.80s\": %s", where, shown, why);
      return NULL;
    }
    for (guint k = 0; k < list->len && !seen; k++)
      seen = strcmp(g_ptr_array_index(list, k), d) == 0;
    if (seen)
      continue;
    if (list->len >= BIMI_CAUTION_MAX_BRAND_DOMAINS) {
      g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_LIMIT,
                  "%sdomains: more than BIMI_CAUTION_MAX_BRAND_DOMAINS (%u)", where, BIMI_CAUTION_MAX_BRAND_DOMAINS);
      return NULL;
    }
    g_ptr_array_add(list, g_steal_pointer(&d));
  }
  if (list->len == 0) {
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_SYNTAX, "%sdomains: none given", where);
    return NULL;
  }
  g_ptr_array_add(list, NULL);
  b->name = g_strdup(name);
  b->domains = (char **) g_ptr_array_free(g_steal_pointer(&list), FALSE);
  b->source = BIMI_CAUTION_SOURCE_OPERATOR;
  return g_steal_pointer(&b);
}

BimiCautionBrand *
bimi_caution_brand_new(const char *name, const char *const *domains, GError **error)
{
  g_return_val_if_fail(name != NULL, NULL);
  return brand_new(name, domains, "", error);
}

static gboolean
is_sha256_hex(const char *s)
{
  gsize n = 0;

  for (; s[n] != '\0'; n++)
    if (!g_ascii_isxdigit(s[n]) || g_ascii_isupper(s[n]))
      return FALSE;
  return n == 64;
}

/* ---- the two text forms --------------------------------------------------- */

#define REGISTRY_GROUP "registry"
#define REGISTRY_FORMAT 1

static gboolean G_GNUC_PRINTF(5, 6)
parse_error(GError **error, const char *source, const char *group, const char *key, const char *format, ...)
{
  g_autofree char *msg = NULL;
  g_autofree char *g = group != NULL ? g_strescape(group, NULL) : NULL;
  va_list ap;

  va_start(ap, format);
  msg = g_strdup_vprintf(format, ap);
  va_end(ap);
  if (g == NULL)
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_SYNTAX, "%s: %s", source, msg);
  else if (key == NULL)
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_SYNTAX, "%s: [%.80s]: %s", source, g, msg);
  else
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_SYNTAX, "%s: [%.80s] %s: %s", source, g, key, msg);
  return FALSE;
}

/* The keys a group of @format may hold. */
static gboolean
key_known(BimiCautionBrandsFormat format, const char *key)
{
  static const char *const operator_keys[] = { "domains", "logo_sha256", NULL };
  static const char *const registry_keys[] = { "name", "alias", "domains", "logo_sha256", "source", "not_after", NULL };
  const char *const *keys = format == BIMI_CAUTION_BRANDS_OPERATOR ? operator_keys : registry_keys;

  return g_strv_contains(keys, key);
}

/* One group into a brand, or NULL with @error. */
static BimiCautionBrand *
parse_group(GKeyFile *kf, const char *source, const char *group, BimiCautionBrandsFormat format, GError **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
  g_auto(GStrv) domains = NULL;
  g_autofree char *name = NULL, *where = NULL, *logo = NULL;
  g_autoptr(BimiCautionBrand) b = NULL;
  g_autoptr(GError) local = NULL;
  const char *why;

  for (gsize i = 0; keys != NULL && keys[i] != NULL; i++)
    if (!key_known(format, keys[i]))
      return parse_error(error, source, group, keys[i], "unknown key (%s)",
                         format == BIMI_CAUTION_BRANDS_OPERATOR ? "domains, logo_sha256"
                                                                : "name, alias, domains, logo_sha256, source, not_after"),
             NULL;
  if (format == BIMI_CAUTION_BRANDS_OPERATOR) {
    name = g_strstrip(g_strdup(group));
  } else {
    name = g_key_file_get_string(kf, group, "name", &local);
    if (name == NULL)
      return parse_error(error, source, group, "name", "missing"), NULL;
  }
  if (!g_key_file_has_key(kf, group, "domains", NULL))
    return parse_error(error, source, group, "domains", "missing (a list: domains = a.example;b.example;)"), NULL;
  domains = g_key_file_get_string_list(kf, group, "domains", NULL, &local);
  if (domains == NULL)
    return parse_error(error, source, group, "domains", "%s", local->message), NULL;
  {
    g_autofree char *g = g_strescape(group, NULL);
    where = g_strdup_printf("%s: [%.80s] ", source, g);
  }
  if (!name_ok(name, &why))
    return parse_error(error, source, group, format == BIMI_CAUTION_BRANDS_OPERATOR ? NULL : "name",
                       "brand name %s", why), NULL;
  b = brand_new(name, (const char *const *) domains, where, error);
  if (b == NULL)
    return NULL;
  logo = g_key_file_get_string(kf, group, "logo_sha256", NULL);
  if (logo != NULL) {
    g_strstrip(logo);
    if (!is_sha256_hex(logo))
      return parse_error(error, source, group, "logo_sha256", "not 64 lowercase hex digits (a SHA-256)"), NULL;
    b->logo_sha256 = g_steal_pointer(&logo);
  }
  if (format == BIMI_CAUTION_BRANDS_REGISTRY) {
    g_autofree char *alias = g_key_file_get_string(kf, group, "alias", NULL);
    g_autofree char *src = g_key_file_get_string(kf, group, "source", NULL);
    const char *rwhy;
    gint64 not_after;

    if (alias != NULL && !name_ok(alias, &why))
      return parse_error(error, source, group, "alias", "%s", why), NULL;
    b->alias = g_steal_pointer(&alias);
    if (g_strcmp0(src, "vmc") == 0)
      b->source = BIMI_CAUTION_SOURCE_VMC;
    else if (g_strcmp0(src, "cmc") == 0)
      b->source = BIMI_CAUTION_SOURCE_CMC;
    else
      return parse_error(error, source, group, "source", "not vmc or cmc"), NULL;
    not_after = g_key_file_get_int64(kf, group, "not_after", &local);
    if (local != NULL || not_after <= 0)
      return parse_error(error, source, group, "not_after", "not a time (Unix seconds)"), NULL;
    b->not_after = not_after;
    b->record_domain = domain_normalize(group, &rwhy);
    if (b->record_domain == NULL)
      return parse_error(error, source, group, NULL, "the group is not a record domain: %s", rwhy), NULL;
  }
  return g_steal_pointer(&b);
}

GPtrArray *
bimi_caution_brands_parse(const char *data, gsize len, const char *source, BimiCautionBrandsFormat format,
                          GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GPtrArray) brands = g_ptr_array_new_with_free_func((GDestroyNotify) bimi_caution_brand_free);
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) groups = NULL;
  gsize n = 0;

  g_return_val_if_fail(data != NULL || len == 0, NULL);
  if (source == NULL)
    source = format == BIMI_CAUTION_BRANDS_OPERATOR ? "brands_file" : "registry";
  if (len > BIMI_CAUTION_MAX_BRANDS_FILE_BYTES) {
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_LIMIT,
                "%s: %" G_GSIZE_FORMAT " bytes, more than BIMI_CAUTION_MAX_BRANDS_FILE_BYTES (%u)", source, len,
                BIMI_CAUTION_MAX_BRANDS_FILE_BYTES);
    return NULL;
  }
  if (memchr(data, '\0', len) != NULL)
    return parse_error(error, source, NULL, NULL, "a NUL byte"), NULL;
  if (!g_key_file_load_from_data(kf, data != NULL ? data : "", len, G_KEY_FILE_NONE, &local))
    return parse_error(error, source, NULL, NULL, "%s", local->message), NULL;
  groups = g_key_file_get_groups(kf, &n);
  if (format == BIMI_CAUTION_BRANDS_REGISTRY) {
    gint64 version = g_key_file_get_int64(kf, REGISTRY_GROUP, "format", &local);
    if (local != NULL || version != REGISTRY_FORMAT)
      return parse_error(error, source, REGISTRY_GROUP, "format", "not %d", REGISTRY_FORMAT), NULL;
  }
  for (gsize i = 0; i < n; i++) {
    BimiCautionBrand *b;
    if (format == BIMI_CAUTION_BRANDS_REGISTRY && strcmp(groups[i], REGISTRY_GROUP) == 0)
      continue;
    if (brands->len >= BIMI_CAUTION_MAX_BRANDS) {
      g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_LIMIT,
                  "%s: more than BIMI_CAUTION_MAX_BRANDS (%u) brands", source, BIMI_CAUTION_MAX_BRANDS);
      return NULL;
    }
    b = parse_group(kf, source, groups[i], format, error);
    if (b == NULL)
      return NULL;
    g_ptr_array_add(brands, b);
  }
  return g_steal_pointer(&brands);
}

GPtrArray *
bimi_caution_brands_load(const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  g_return_val_if_fail(path != NULL, NULL);
  if (!bimi_caution__read_file(path, &data, &len, error))
    return NULL;
  return bimi_caution_brands_parse(data, len, path, BIMI_CAUTION_BRANDS_OPERATOR, error);
}

GBytes *
bimi_caution_brands_to_registry(GPtrArray *brands)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  gsize len = 0;
  char *text;

  g_key_file_set_integer(kf, REGISTRY_GROUP, "format", REGISTRY_FORMAT);
  for (guint i = 0; brands != NULL && i < brands->len; i++) {
    const BimiCautionBrand *b = g_ptr_array_index(brands, i);
    const char *g = b->record_domain;
    g_return_val_if_fail(g != NULL, NULL);
    g_key_file_set_string(kf, g, "name", b->name);
    if (b->alias != NULL)
      g_key_file_set_string(kf, g, "alias", b->alias);
    g_key_file_set_string_list(kf, g, "domains", (const char *const *) b->domains, g_strv_length(b->domains));
    if (b->logo_sha256 != NULL)
      g_key_file_set_string(kf, g, "logo_sha256", b->logo_sha256);
    g_key_file_set_string(kf, g, "source", bimi_caution_source_to_string(b->source));
    g_key_file_set_int64(kf, g, "not_after", b->not_after);
  }
  text = g_key_file_to_data(kf, &len, NULL);
  return g_bytes_new_take(text, len);
}
