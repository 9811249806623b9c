/* tests/test-arc.c — engine/arc: the AAR prefix parser, structure and cv=
 * rules, limits, tampering, JSON and A-R output, and the DMARC local policy
 * (trusted sealer override) on the dkimpy-sealed list messages of
 * fixtures/arc/ (fixtures/arc/generate.py).
 */
#include "engine/arc.h"
#include "engine/dmarc.h"
#include "engine/dns.h"
#include "engine/limits.h"
#include "tests/lib/data.h"

#include <string.h>

#define NOW 1700000100

static BimiDnsResolver *
fixture_resolver(void)
{
  static const char *const zones[] = { "fixtures/arc/arc.zone", NULL };
  return bimi_test_resolver_zone_files(zones, NULL);
}

static BimiDnsResolver *resolver;

static GBytes *
read_fixture(const char *name)
{
  g_autofree char *path = g_build_filename("fixtures/arc", name, NULL);
  return bimi_test_read_bytes(path);
}

static BimiArcChain *
validate_text(const char *text, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = g_bytes_new(text, len);
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
  g_assert_no_error(error);
  BimiArcOptions opts = { .now = NOW, .key_fetch = bimi_dkim_key_fetch_dns, .key_fetch_data = resolver };
  BimiArcChain *chain = bimi_arc_validate(msg, &opts, &error);
  g_assert_no_error(error);
  return chain;
}

/* The fixture with @from replaced by @to (once; must be present). */
static BimiArcChain *
validate_fixture(const char *name, const char *from, const char *to)
{
  g_autoptr(GBytes) b = read_fixture(name);
  gsize len;
  const char *s = g_bytes_get_data(b, &len);
  g_autoptr(GString) text = g_string_new_len(s, (gssize) len);
  if (from != NULL) {
    const char *at = strstr(text->str, from);
    g_assert_nonnull(at);
    gsize pos = (gsize) (at - text->str);
    g_string_erase(text, (gssize) pos, (gssize) strlen(from));
    g_string_insert(text, (gssize) pos, to);
  }
  return validate_text(text->str, text->len);
}

static void
assert_chain(const BimiArcChain *c, BimiArcResult result, const char *reason_part)
{
  if (c->result != result || (reason_part && strstr(c->reason, reason_part) == NULL))
    g_error("got arc=%s (%s), want %s /%s/", bimi_arc_result_to_string(c->result), c->reason,
            bimi_arc_result_to_string(result), reason_part ? reason_part : "");
}

static void
test_aar_prefix(void)
{
  struct { const char *v; guint inst; gsize off; } good[] = {
    { "i=1; lists.example.org; spf=pass", 1, 4 },
    { " i = 12 ;x; none", 12, 9 },
    { "\r\n\ti=50;a; none", 50, 8 },
    { "i=01; a; none", 1, 5 }, /* i-value = 1*2DIGIT (RFC 8617 §4.1.1) */
  };
  for (guint k = 0; k < G_N_ELEMENTS(good); k++) {
    guint inst = 0;
    gsize off = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(bimi_arc_aar_parse(good[k].v, strlen(good[k].v), &inst, &off, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(inst, ==, good[k].inst);
    g_assert_cmpuint(off, ==, good[k].off);
  }
  struct { const char *v; const char *msg; } bad[] = {
    { "lists.example.org; i=1; spf=pass", "does not start with i=" },  /* aar_i_not_prefixed */
    { "i=1 lists.example.org; spf=pass", "expected ';' after i=1 (offset 4)" }, /* aar_i_no_semi */
    { "i=0; a; none", "not an instance" },
    { "i=51; a; none", "not an instance" },
    { "i=123; a; none", "not an instance" },
    { "i=001; a; none", "not an instance" }, /* three digits */
    { "i=; a; none", "not an instance" },
    { "i 1; a; none", "expected '='" },
    { "", "does not start with i=" },
  };
  for (guint k = 0; k < G_N_ELEMENTS(bad); k++) {
    guint inst = 0;
    g_autoptr(GError) error = NULL;
    g_assert_false(bimi_arc_aar_parse(bad[k].v, strlen(bad[k].v), &inst, NULL, &error));
    g_assert_error(error, BIMI_ARC_ERROR, BIMI_ARC_ERROR_SYNTAX);
    if (strstr(error->message, bad[k].msg) == NULL)
      g_error("'%s': '%s' lacks '%s'", bad[k].v, error->message, bad[k].msg);
  }
}

static void
test_fixtures_pass(void)
{
  g_autoptr(BimiArcChain) a = validate_fixture("list-trusted.eml", NULL, NULL);
  assert_chain(a, BIMI_ARC_RESULT_PASS, "1 ARC set verified");
  g_assert_cmpuint(a->instances, ==, 1);
  g_assert_cmpuint(a->oldest_pass, ==, 0);
  const BimiArcSet *s = g_ptr_array_index(a->sets, 0);
  g_assert_cmpstr(s->seal_domain, ==, "lists.trusted.example");
  g_assert_cmpstr(s->seal_selector, ==, "arc");
  g_assert_cmpstr(s->cv, ==, "none");
  g_assert_cmpstr(s->seal_result, ==, "pass");
  g_assert_cmpstr(s->ams_result, ==, "pass");
  g_assert_nonnull(s->aar);
  g_assert_cmpstr(s->aar->authserv_id, ==, "lists.trusted.example");
  g_assert_cmpuint(s->aar->results->len, ==, 3);
  const BimiAuthresResult *dm = bimi_authres_find_result(s->aar, "dmarc");
  g_assert_cmpstr(dm->result, ==, "pass");
  g_assert_cmpstr(bimi_authres_result_get_property(dm, "header", "from"), ==, "brand.example");

  g_autoptr(BimiArcChain) b = validate_fixture("list-trusted-fwd.eml", NULL, NULL);
  assert_chain(b, BIMI_ARC_RESULT_PASS, "2 ARC sets verified");
  g_assert_cmpuint(b->instances, ==, 2);
  g_assert_cmpstr(((BimiArcSet *) g_ptr_array_index(b->sets, 1))->seal_domain, ==, "fwd.example");
  g_assert_cmpstr(((BimiArcSet *) g_ptr_array_index(b->sets, 1))->cv, ==, "pass");
  g_assert_cmpstr(((BimiArcSet *) g_ptr_array_index(b->sets, 0))->ams_result, ==, "pass");
}

static void
test_none(void)
{
  const char *m = "From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n";
  g_autoptr(BimiArcChain) c = validate_text(m, strlen(m));
  assert_chain(c, BIMI_ARC_RESULT_NONE, "no ARC header fields");
  g_assert_cmpuint(c->instances, ==, 0);
  g_assert_cmpuint(c->sets->len, ==, 0);
}

static void
test_tamper(void)
{
  /* body: the newest AMS's body hash breaks */
  g_autoptr(BimiArcChain) a = validate_fixture("list-trusted.eml", "spring collection is out", "spring collection is in");
  assert_chain(a, BIMI_ARC_RESULT_FAIL, "ARC-Message-Signature i=1: body hash mismatch");
  /* the AAR: covered by the seal only */
  g_autoptr(BimiArcChain) b = validate_fixture("list-trusted.eml", "i=1; lists.trusted.example; spf=pass",
                                               "i=1; lists.trusted.example; spf=fail");
  assert_chain(b, BIMI_ARC_RESULT_FAIL, "ARC-Seal i=1: signature verification failed");
  /* the older AMS of a two-set chain: the seal of i=2 covers it */
  g_autoptr(BimiArcChain) c = validate_fixture("list-trusted-fwd.eml", "bh=HxhQ4h7jpCo9pzy+kzyPtyr/KG6K9R6kIY1qjwBH42s=;\r\n b=Ncm",
                                               "bh=HxhQ4h7jpCo9pzy+kzyPtyr/KG6K9R6kIY1qjwBH42s= ;\r\n b=Ncm");
  assert_chain(c, BIMI_ARC_RESULT_FAIL, "ARC-Seal i=2");
}

static void
test_structure(void)
{
  /* the seal of i=1 removed from a two-set chain */
  g_autoptr(GBytes) raw = read_fixture("list-trusted-fwd.eml");
  gsize len;
  const char *s = g_bytes_get_data(raw, &len);
  const char *as1 = strstr(s, "ARC-Seal: i=1;");
  const char *end = strstr(as1, "ARC-Message-Signature: i=1;");
  g_autoptr(GString) t = g_string_new_len(s, (gssize) (as1 - s));
  g_string_append_len(t, end, (gssize) (len - (gsize) (end - s)));
  g_autoptr(BimiArcChain) a = validate_text(t->str, t->len);
  assert_chain(a, BIMI_ARC_RESULT_FAIL, "ARC set 1 of 2 lacks its ARC-Seal");

  /* a duplicated AAR */
  g_autoptr(GString) d = g_string_new("ARC-Authentication-Results: i=1; x.example; none\r\n");
  g_string_append_len(d, s, (gssize) len);
  g_autoptr(BimiArcChain) b = validate_fixture("list-trusted.eml", NULL, NULL);
  g_autoptr(GBytes) raw1 = read_fixture("list-trusted.eml");
  const char *s1 = g_bytes_get_data(raw1, &len);
  g_autoptr(GString) d1 = g_string_new("ARC-Authentication-Results: i=1; x.example; none\r\n");
  g_string_append_len(d1, s1, (gssize) len);
  g_autoptr(BimiArcChain) c = validate_text(d1->str, d1->len);
  assert_chain(c, BIMI_ARC_RESULT_FAIL, "two ARC-Authentication-Results fields with i=1");
  assert_chain(b, BIMI_ARC_RESULT_PASS, NULL);

  /* a seal that says the chain had failed */
  g_autoptr(BimiArcChain) e = validate_fixture("list-trusted-fwd.eml", "i=2; cv=pass;", "i=2; cv=fail;");
  assert_chain(e, BIMI_ARC_RESULT_FAIL, "ARC-Seal i=2 records cv=fail");
  g_autoptr(BimiArcChain) f = validate_fixture("list-trusted.eml", "i=1; cv=none;", "i=1; cv=pass;");
  assert_chain(f, BIMI_ARC_RESULT_FAIL, "ARC-Seal i=1 has cv=pass, expected none");
  g_autoptr(BimiArcChain) g = validate_fixture("list-trusted.eml", "i=1; cv=none;", "i=1; cv=None;");
  assert_chain(g, BIMI_ARC_RESULT_FAIL, "cv=(invalid)");
  /* an AMS that lists ARC-Seal: checked before any key is fetched */
  g_autoptr(BimiArcChain) h = validate_fixture("list-trusted.eml", "h=from : to", "h=arc-seal : from : to");
  assert_chain(h, BIMI_ARC_RESULT_FAIL, "h= lists ARC-Seal");
  /* an AS with h= */
  g_autoptr(BimiArcChain) k = validate_fixture("list-trusted.eml", "i=1; cv=none;", "i=1; cv=none; h=from;");
  assert_chain(k, BIMI_ARC_RESULT_FAIL, "h= is not allowed in an ARC-Seal");
}

/* BIMI_ARC_MAX_SETS: i=51 is no instance; BIMI_ARC_MAX_FIELDS: field 151 stops collection. */
static void
test_limits(void)
{
  g_autoptr(BimiArcChain) a = validate_fixture("list-trusted.eml", "ARC-Seal: i=1;", "ARC-Seal: i=51;");
  assert_chain(a, BIMI_ARC_RESULT_FAIL, "i= is not an ARC instance (1..50)");
  g_autoptr(BimiArcChain) b = validate_fixture("list-trusted.eml", "ARC-Seal: i=1;", "ARC-Seal: i=50;");
  assert_chain(b, BIMI_ARC_RESULT_FAIL, "ARC set 1 of 50 lacks its ARC-Seal");

  g_autoptr(GString) m = g_string_new("");
  for (guint i = 1; i <= BIMI_ARC_MAX_FIELDS + 1; i++)
    g_string_append_printf(m, "ARC-Authentication-Results: i=%u; x.example; none\r\n", (i - 1) % BIMI_ARC_MAX_SETS + 1);
  g_string_append(m, "From: a@example.com\r\n\r\nbody\r\n");
  g_autoptr(BimiArcChain) c = validate_text(m->str, m->len);
  assert_chain(c, BIMI_ARC_RESULT_FAIL, "151 ARC header fields, more than 150");
  /* exactly at the limit, the collector goes on (and finds duplicates) */
  g_autoptr(GString) n = g_string_new("");
  for (guint i = 1; i <= BIMI_ARC_MAX_FIELDS; i++)
    g_string_append_printf(n, "ARC-Authentication-Results: i=%u; x.example; none\r\n", (i - 1) % BIMI_ARC_MAX_SETS + 1);
  g_string_append(n, "From: a@example.com\r\n\r\nbody\r\n");
  g_autoptr(BimiArcChain) d = validate_text(n->str, n->len);
  assert_chain(d, BIMI_ARC_RESULT_FAIL, "two ARC-Authentication-Results fields with i=1");
}

static void
test_json_and_authres(void)
{
  g_autoptr(BimiArcChain) a = validate_fixture("list-trusted-fwd.eml", NULL, NULL);
  g_autoptr(BimiJsonWriter) b = bimi_json_writer_new();
  bimi_arc_chain_build_json(a, b);
  g_autoptr(JsonNode) root = bimi_json_writer_get_node(b);
  JsonObject *o = json_node_get_object(root);
  g_assert_cmpstr(json_object_get_string_member(o, "result"), ==, "pass");
  g_assert_cmpint(json_object_get_int_member(o, "instances"), ==, 2);
  g_assert_cmpint(json_object_get_int_member(o, "oldest_pass"), ==, 0);
  JsonArray *sets = json_object_get_array_member(o, "sets");
  g_assert_cmpuint(json_array_get_length(sets), ==, 2);
  JsonObject *s2 = json_array_get_object_element(sets, 1);
  g_assert_cmpint(json_object_get_int_member(s2, "i"), ==, 2);
  g_assert_cmpstr(json_object_get_string_member(s2, "d"), ==, "fwd.example");
  g_assert_cmpstr(json_object_get_string_member(s2, "aar"), ==,
                  "fwd.example; arc=pass header.oldest-pass=0 smtp.remote-ip=198.51.100.7");

  g_autoptr(BimiAuthres) ar = bimi_authres_new("mx.example.net");
  bimi_arc_chain_add_authres(a, ar, "192.0.2.1");
  g_autofree char *text = bimi_authres_to_string(ar);
  g_assert_cmpstr(text, ==, "mx.example.net; arc=pass header.oldest-pass=0 smtp.remote-ip=192.0.2.1");

  g_autoptr(BimiArcChain) f = validate_fixture("list-trusted.eml", "i=1; cv=none;", "i=1; cv=fail;");
  g_autoptr(BimiAuthres) ar2 = bimi_authres_new("mx.example.net");
  bimi_arc_chain_add_authres(f, ar2, NULL);
  g_autofree char *text2 = bimi_authres_to_string(ar2);
  g_assert_cmpstr(text2, ==, "mx.example.net; arc=fail");
  g_autoptr(BimiJsonWriter) b2 = bimi_json_writer_new();
  bimi_arc_chain_build_json(f, b2);
  g_autoptr(JsonNode) root2 = bimi_json_writer_get_node(b2);
  g_assert_true(json_object_get_null_member(json_node_get_object(root2), "oldest_pass"));
}

/* DMARC of a list message whose DKIM broke: fail; a trusted sealer's AAR
 * turns the disposition to none (policy.override=arc). */
static BimiDmarcEvaluation *
dmarc_of(const char *fixture, const char *const *trusted, gboolean *out_trusted)
{
  g_autoptr(GBytes) raw = read_fixture(fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(BimiMessage) msg = bimi_message_parse(raw, &error);
  g_assert_no_error(error);
  BimiDkimOptions dopts = { .now = NOW, .key_fetch = bimi_dkim_key_fetch_dns, .key_fetch_data = resolver };
  g_autoptr(GPtrArray) sigs = bimi_dkim_verify(msg, &dopts, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(sigs->len, ==, 1);
  const BimiDkimSignature *sig = g_ptr_array_index(sigs, 0);
  g_assert_cmpint(sig->result, ==, BIMI_DKIM_RESULT_FAIL); /* the list broke it */
  BimiDmarcDkimInput din = { sig->domain, bimi_dmarc_auth_result_from_dkim(sig->result) };

  BimiArcOptions aopts = { .now = NOW, .key_fetch = bimi_dkim_key_fetch_dns, .key_fetch_data = resolver };
  g_autoptr(BimiArcChain) chain = bimi_arc_validate(msg, &aopts, &error);
  g_assert_no_error(error);
  g_autofree char *author = NULL, *why = NULL;
  g_assert_true(bimi_dmarc_author_domain(msg, &author, &why));
  const char *sealer = NULL;
  BimiDmarcInput in = {
    .author_domain = author,
    .dkim = &din,
    .n_dkim = 1,
    .spf_mail_from_result = BIMI_DMARC_AUTH_NONE,
  };
  BimiDmarcEvaluation *ev = bimi_dmarc_evaluate(resolver, NULL, &in, &error);
  g_assert_no_error(error);
  g_assert_cmpint(ev->adkim, ==, BIMI_DMARC_ALIGN_RELAXED); /* _dmarc.brand.example: p=reject */
  *out_trusted = bimi_arc_trusted_pass(chain, trusted, ev->author_domain, ev->adkim, ev->aspf, &sealer);
  if (*out_trusted)
    g_assert_true(bimi_dmarc_evaluation_apply_arc_override(ev, sealer));
  return ev;
}

static void
test_dmarc_override(void)
{
  static const char *const trusted[] = { "Lists.Trusted.Example", NULL };
  gboolean t;
  g_autoptr(BimiDmarcEvaluation) a = dmarc_of("list-trusted.eml", trusted, &t);
  g_assert_true(t);
  g_assert_cmpint(a->result, ==, BIMI_DMARC_RESULT_FAIL);
  g_assert_true(a->arc_override);
  g_assert_cmpstr(a->arc_sealer, ==, "lists.trusted.example");
  g_assert_cmpint(a->policy, ==, BIMI_DMARC_POLICY_REJECT);
  g_assert_cmpint(a->disposition, ==, BIMI_DMARC_POLICY_NONE);

  g_autoptr(BimiDmarcEvaluation) b = dmarc_of("list-untrusted.eml", trusted, &t);
  g_assert_false(t);
  g_assert_cmpint(b->result, ==, BIMI_DMARC_RESULT_FAIL);
  g_assert_false(b->arc_override);
  g_assert_null(b->arc_sealer);
  g_assert_cmpint(b->disposition, ==, BIMI_DMARC_POLICY_REJECT);

  /* No trusted list at all: plain fail. */
  g_autoptr(BimiDmarcEvaluation) c = dmarc_of("list-trusted.eml", NULL, &t);
  g_assert_false(t);
  g_assert_cmpint(c->disposition, ==, BIMI_DMARC_POLICY_REJECT);

  /* The newest sealer is trusted but its AAR holds only arc=pass: no override. */
  static const char *const fwd[] = { "fwd.example", NULL };
  g_autoptr(BimiDmarcEvaluation) d = dmarc_of("list-trusted-fwd.eml", fwd, &t);
  g_assert_false(t);
  g_assert_cmpint(d->disposition, ==, BIMI_DMARC_POLICY_REJECT);

  /* The trusted sealer recorded dmarc=fail itself: no override. */
  g_autoptr(BimiDmarcEvaluation) e = dmarc_of("list-trusted-dmarc-fail.eml", trusted, &t);
  g_assert_false(t);
  g_assert_false(e->arc_override);
  g_assert_cmpint(e->disposition, ==, BIMI_DMARC_POLICY_REJECT);

  /* Only an aligned spf=pass (smtp.mfrom of a subdomain; record is relaxed): override. */
  g_autoptr(BimiDmarcEvaluation) f = dmarc_of("list-trusted-spf-mfrom.eml", trusted, &t);
  g_assert_true(t);
  g_assert_true(f->arc_override);
  g_assert_cmpint(f->disposition, ==, BIMI_DMARC_POLICY_NONE);

  /* An evaluation that passed, or already has disposition none, is left alone. */
  g_assert_false(bimi_dmarc_evaluation_apply_arc_override(f, "x.example"));
  g_assert_cmpstr(f->arc_sealer, ==, "lists.trusted.example");
}

static gboolean
trusted_pass_of(const char *fixture, const char *author, BimiDmarcAlignMode adkim, BimiDmarcAlignMode aspf)
{
  static const char *const trusted[] = { "lists.trusted.example", NULL };
  g_autoptr(BimiArcChain) c = validate_fixture(fixture, NULL, NULL);
  g_assert_cmpint(c->result, ==, BIMI_ARC_RESULT_PASS);
  const char *sealer = NULL;
  gboolean ok = bimi_arc_trusted_pass(c, trusted, author, adkim, aspf, &sealer);
  g_assert_cmpstr(sealer, ==, ok ? "lists.trusted.example" : NULL);
  return ok;
}

#define R BIMI_DMARC_ALIGN_RELAXED
#define S BIMI_DMARC_ALIGN_STRICT

static void
test_trusted_pass_rules(void)
{
  static const char *const trusted[] = { "lists.trusted.example", NULL };
  const char *sealer = NULL;
  g_autoptr(BimiArcChain) a = validate_fixture("list-trusted.eml", NULL, NULL);
  g_assert_true(bimi_arc_trusted_pass(a, trusted, "brand.example", R, R, &sealer));
  g_assert_cmpstr(sealer, ==, "lists.trusted.example");
  /* another From domain: the AAR vouches for brand.example only (its dkim=/spf=
   * identifiers are brand.example: relaxed-aligned with a subdomain From) */
  g_assert_false(bimi_arc_trusted_pass(a, trusted, "other.example", R, R, NULL));
  g_assert_true(bimi_arc_trusted_pass(a, trusted, "news.brand.example", R, R, NULL));
  g_assert_false(bimi_arc_trusted_pass(a, trusted, "news.brand.example", S, S, NULL));
  /* a chain that fails is never used */
  g_autoptr(BimiArcChain) b = validate_fixture("list-trusted.eml", "spring collection is out", "spring collection is in");
  g_assert_false(bimi_arc_trusted_pass(b, trusted, "brand.example", R, R, NULL));
}

/* The trusted-sealer override per path of the AAR, as data: the fixture, the
 * From domain, adkim, aspf, and whether the sealer's word counts. */
typedef struct {
  const char *fixture, *author;
  BimiDmarcAlignMode adkim, aspf;
  gboolean pass;
} TrustedPassCase;

typedef struct {
  const char *path;
  TrustedPassCase cases[7]; /* fixture NULL ends */
} TrustedPassGroup;

static const TrustedPassGroup trusted_pass_groups[] = {
  /* dkim= path: header.d, or header.i's domain, aligned per adkim (aspf irrelevant). */
  { "/arc/policy/trusted-pass-dkim",
    { { "list-trusted-dkim-sub.eml", "brand.example", R, S, TRUE },
      { "list-trusted-dkim-sub.eml", "brand.example", S, R, FALSE },
      { "list-trusted-dkim-sub.eml", "news.brand.example", S, S, TRUE },
      { "list-trusted-dkim-i.eml", "brand.example", S, S, TRUE },
      { "list-trusted-dkim-i.eml", "BRAND.example", R, R, TRUE },
      /* its dmarc=pass is for other.example: it decides there, not for brand.example */
      { "list-trusted-dkim-i.eml", "other.example", S, S, TRUE },
      { "list-trusted-dkim-i.eml", "sub.other.example", R, R, FALSE } } },
  /* spf= path: smtp.mailfrom or smtp.mfrom domain aligned per aspf (adkim irrelevant). */
  { "/arc/policy/trusted-pass-spf",
    { { "list-trusted-spf-mfrom.eml", "brand.example", S, R, TRUE },
      { "list-trusted-spf-mfrom.eml", "brand.example", R, S, FALSE },
      { "list-trusted-spf-mfrom.eml", "mail.brand.example", R, S, TRUE },
      { "list-trusted-spf.eml", "brand.example", S, S, TRUE },
      { "list-trusted-spf.eml", "other.example", R, R, FALSE } } },
  /* A dmarc= entry for the From domain decides, even against aligned passes. */
  { "/arc/policy/trusted-pass-dmarc-fail",
    { { "list-trusted-dmarc-fail.eml", "brand.example", R, R, FALSE },
      { "list-trusted-dmarc-fail.eml", "brand.example", S, S, FALSE },
      /* for another From domain the entry is silent: aligned dkim/spf pass counts */
      { "list-trusted-dmarc-fail.eml", "news.brand.example", R, R, TRUE },
      { "list-trusted.eml", "brand.example", S, S, TRUE } } },
};

static void
test_trusted_pass_group(gconstpointer data)
{
  const TrustedPassGroup *g = data;

  for (guint i = 0; i < G_N_ELEMENTS(g->cases) && g->cases[i].fixture != NULL; i++) {
    const TrustedPassCase *c = &g->cases[i];
    gboolean got = trusted_pass_of(c->fixture, c->author, c->adkim, c->aspf) ? TRUE : FALSE;

    if (got != c->pass)
      g_test_message("%s, From %s, adkim %d, aspf %d: trusted pass %d", c->fixture, c->author, c->adkim, c->aspf,
                     got);
    g_assert_cmpint(got, ==, c->pass);
  }
}

#undef R
#undef S

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  resolver = fixture_resolver();
  g_test_add_func("/arc/aar/prefix", test_aar_prefix);
  g_test_add_func("/arc/chain/none", test_none);
  g_test_add_func("/arc/chain/fixtures-pass", test_fixtures_pass);
  g_test_add_func("/arc/chain/tamper", test_tamper);
  g_test_add_func("/arc/chain/structure", test_structure);
  g_test_add_func("/arc/limits/sets-and-fields", test_limits);
  g_test_add_func("/arc/output/json-and-authres", test_json_and_authres);
  g_test_add_func("/arc/policy/trusted-pass-rules", test_trusted_pass_rules);
  BIMI_TEST_ADD_CASES(trusted_pass_groups, test_trusted_pass_group);
  g_test_add_func("/arc/policy/dmarc-override", test_dmarc_override);
  int rc = g_test_run();
  bimi_dns_resolver_unref(resolver);
  return rc;
}
