/* fuzz/fuzz-spf-macro.c — libFuzzer target: SPF macro expansion (RFC 7208 §7)
 * with a fixed context and no DNS (%{p} gives a fixed name).
 *
 * Input: first byte = mode (domain-spec, explanation, modifier) and a flag
 * choosing IPv4/IPv6 values; the rest = the macro-string. Checks: the syntax
 * check and the expansion agree, the output respects
 * BIMI_SPF_MAX_EXPANSION_BYTES, and the domain rules never return a name
 * longer than 253 bytes or with an empty label.
 */
#include "engine/limits.h"
#include "engine/spf-private.h"
#include "fuzz/fuzz.h"

#include <stdint.h>
#include <string.h>

static char p_name[] = "mx.email.example.com";

static const char *
fixed_p(gpointer data, GError **error)
{
  (void) error;
  return data;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  BimiSpfMacroContext ctx = { 0 };
  BimiSpfMacroMode mode;
  g_autoptr(GString) out = g_string_new(NULL);
  g_autoptr(GError) check_error = NULL;
  g_autoptr(GError) error = NULL;
  gboolean checked, expanded;
  const char *text;
  gsize len;

  if (size < 1)
    return 0;
  mode = (BimiSpfMacroMode) (data[0] % 3);
  text = (const char *) data + 1;
  len = size - 1;
  ctx.sender = "strong-bad@email.example.com";
  ctx.local_part = "strong-bad";
  ctx.sender_domain = "email.example.com";
  ctx.domain = "sub.email.example.com";
  if (data[0] & 0x80) {
    ctx.ip_dotted = "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1";
    ctx.ip_text = "2001:db8::cb01";
    ctx.ip_version = "ip6";
  } else {
    ctx.ip_dotted = "192.0.2.3";
    ctx.ip_text = "192.0.2.3";
    ctx.ip_version = "in-addr";
  }
  ctx.helo = "mx.example.org";
  ctx.receiver = "receiver.example";
  ctx.now = 1700000000;
  if (data[0] & 0x40) {
    ctx.validated_name = fixed_p;
    ctx.validated_name_data = p_name;
  }

  checked = bimi_spf__macro_check(text, len, mode, 0, NULL, &check_error);
  expanded = bimi_spf__macro_expand(text, len, mode, &ctx, out, &error);
  if (checked)
    g_assert_true(expanded || g_error_matches(error, BIMI_SPF_ERROR, BIMI_SPF_ERROR_LIMIT));
  else
    g_assert_false(expanded);
  g_assert_cmpuint(out->len, <=, BIMI_SPF_MAX_EXPANSION_BYTES);
  if (expanded && mode == BIMI_SPF_MACRO_DOMAIN) {
    g_autofree char *name = bimi_spf__domain_from_expansion(out->str);
    if (name != NULL) {
      g_assert_cmpuint(strlen(name), <=, BIMI_DNS_MAX_NAME_BYTES);
      g_assert_cmpuint(strlen(name), >, 0);
      g_assert_null(strstr(name, ".."));
      g_assert_true(name[0] != '.');
    }
  }
  return 0;
}
