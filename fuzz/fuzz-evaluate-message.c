/* fuzz/fuzz-evaluate-message.c — libFuzzer target for the whole pipeline of
 * evaluate/evaluate-message.c on one hostile message.
 *
 * The input is the message POSTed to /bimi/v1/evaluate. One evaluator, built
 * once, answers DNS offline from a small zone (example.: a DMARC record, a BIMI
 * Assertion Record whose URLs the fetcher must refuse, an SPF record, PTR and
 * A records for the envelope's client), trusts mx.example's Received fields and
 * its own Authentication-Results (mta_strips_authres model). Each input is
 * evaluated with an explicit envelope and with none (so the Received walk
 * runs). Checks: the only errors are BIMI_EVALUATE_ERROR_MESSAGE / _ENVELOPE;
 * a decision has a reason, valid JSON, and an Authentication-Results value that
 * engine/authres parses back; "none" names no logo. Run from the repository
 * root (the [trust] files are data/...).
 */
#include "engine/authres.h"
#include "evaluate/config.h"
#include "evaluate/evaluate.h"
#include "fuzz/fuzz.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char zone[] =
  "$ORIGIN example.\n$TTL 300\n"
  "@ IN TXT \"v=spf1 ip4:192.0.2.10 -all\"\n"
  "_dmarc IN TXT \"v=DMARC1; p=reject\"\n"
  "default._bimi IN TXT \"v=BIMI1; l=https://127.0.0.1/l.svg; a=https://127.0.0.1/a.pem\"\n"
  "mail IN A 192.0.2.10\n"
  "$ORIGIN 2.0.192.in-addr.arpa.\n"
  "10 IN PTR mail.example.\n";

static BimiEvaluator *evaluator;

static void
setup(void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp("fuzz-evaluate-XXXXXX", &error);
  g_autofree char *zone_path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(BimiConfig) config = NULL;

  if (dir == NULL)
    abort();
  zone_path = g_build_filename(dir, "fuzz.zone", NULL);
  if (!g_file_set_contents(zone_path, zone, -1, &error))
    abort();
  text = g_strdup_printf("[dns]\nzone_files = %s\n[cache]\ndir = %s/cache\n"
                         "[auth]\nauthserv_id = mx.example\ntrusted_receivers = mx.example\n"
                         "trust_own_authres = true\nmta_strips_authres = true\n"
                         "[fetch]\ntimeout_ms = 200\nconnect_timeout_ms = 100\n",
                         zone_path, dir);
  config = bimi_config_new_from_data(text, strlen(text), "fuzz", &error);
  if (config == NULL)
    abort();
  evaluator = bimi_evaluator_new(config, "mx.fuzz.test", &error);
  if (evaluator == NULL) {
    fprintf(stderr, "fuzz-evaluate-message: %s (run from the repository root)\n", error->message);
    abort();
  }
  g_free(dir); /* left on disk: the logo store may hold files; it is a temp dir */
}

static void
check(BimiDecision *d, GError *error)
{
  if (d == NULL) {
    if (error == NULL || error->domain != BIMI_EVALUATE_ERROR ||
        (error->code != BIMI_EVALUATE_ERROR_MESSAGE && error->code != BIMI_EVALUATE_ERROR_ENVELOPE))
      abort();
    return;
  }
  if (error != NULL || d->reason == NULL || bimi_decision_get_json(d) == NULL || d->authentication_results == NULL)
    abort();
  if (d->kind == BIMI_DECISION_NONE && d->logo_sha256 != NULL)
    abort();
  g_autoptr(BimiAuthres) ar = bimi_authres_parse(d->authentication_results, strlen(d->authentication_results), NULL);
  if (ar == NULL)
    abort();
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, bimi_decision_get_json(d));
  g_autofree char *json = json_generator_to_data(gen, NULL);
  if (json == NULL || !g_utf8_validate(json, -1, NULL))
    abort();
  /* The service answers with the text the writer made: json-glib writes the same bytes from its tree. */
  if (strcmp(json, d->json_text) != 0)
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const BimiEnvelope envelope = { "192.0.2.10", "mail.example", "bounce@example" };
  g_autoptr(GBytes) raw = g_bytes_new(data, size);

  if (evaluator == NULL)
    setup();
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiDecision) d = bimi_evaluator_evaluate(evaluator, raw, &envelope, 1780272000, &error);
    check(d, error);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BimiDecision) d = bimi_evaluator_evaluate(evaluator, raw, NULL, 1780272000, &error);
    check(d, error);
  }
  return 0;
}
