/* engine/limits.h — every bound on hostile input, in one place (STYLE.md §4).
 *
 * Each limit is checked *before* the allocation it guards (GLib aborts on
 * out-of-memory), and each has a test that hits it. Later modules (SPF, DKIM,
 * ARC, DMARC, BIMI, fetch, SVG, VMC, renderer) add their own section here.
 */
#ifndef BIMI_LIMITS_H
#define BIMI_LIMITS_H

#include "engine/base/base-limits.h"

/* ---- engine/message (RFC 5322 §2.1.1, §2.2) ---------------------------- */
/** Largest raw message accepted, in bytes (headers + body). */
#define BIMI_MAX_MESSAGE_BYTES        (64u * 1024u * 1024u)
/** Most header fields indexed in one message. */
#define BIMI_MAX_HEADER_FIELDS        1000u
/** Longest single header field including folding and line breaks (canonical CRLF form), in bytes. */
#define BIMI_MAX_HEADER_FIELD_BYTES   (64u * 1024u)
/** Longest physical header line without its line break (RFC 5322 §2.1.1 says 998). */
#define BIMI_MAX_HEADER_LINE_BYTES    (16u * 1024u)
/** Most mailboxes returned from one address header, and from all From fields together. */
#define BIMI_MAX_ADDRESSES            100u
/** Longest display name or group name after RFC 2047 decoding, in bytes. */
#define BIMI_MAX_DISPLAY_NAME_BYTES   2048u
/** Deepest nesting of comments "( ( ) )" in an address list: the one RFC 5322
 *  lexer limit (engine/base/base-limits.h). */
#define BIMI_MAX_ADDRESS_COMMENT_DEPTH BIMI_BASE_MAX_COMMENT_DEPTH

/* ---- engine/taglist (RFC 6376 §3.2) ----------------------------------- */
/** Most tags in one tag-list (DKIM-Signature, DMARC, BIMI, ARC records). */
#define BIMI_MAX_TAGS                 64u
/** Longest tag-list accepted, in bytes. */
#define BIMI_MAX_TAGLIST_BYTES        (64u * 1024u)
/** Longest tag name, in bytes. */
#define BIMI_MAX_TAG_NAME_BYTES       64u

/* ---- engine/authres (RFC 8601) ---------------------------------------- */
/** Longest Authentication-Results value parsed, in bytes. */
#define BIMI_MAX_AUTHRES_BYTES        (64u * 1024u)
/** Most resinfo (method=result ...) entries in one A-R field. */
#define BIMI_MAX_AUTHRES_RESULTS      64u
/** Most ptype.property=value entries kept per resinfo (dropped "name=value"
 *  pairs without ptype are bounded by BIMI_MAX_AUTHRES_BYTES only). */
#define BIMI_MAX_AUTHRES_PROPERTIES   32u
/** Deepest nesting of comments "( ( ) )" accepted: the one RFC 5322 lexer limit. */
#define BIMI_MAX_COMMENT_DEPTH        BIMI_BASE_MAX_COMMENT_DEPTH

/* ---- engine/dns --------------------------------------------------------- */
/** Default per-query deadline, in milliseconds. */
#define BIMI_DNS_DEFAULT_TIMEOUT_MS   4000u
/** Most CNAMEs followed for one query before temperror (loop guard). */
#define BIMI_DNS_MAX_CNAME_CHAIN      8u
/** Longest zone file read, in bytes. */
#define BIMI_MAX_ZONE_FILE_BYTES      (16u * 1024u * 1024u)
/** Most records loaded from all zone files together. */
#define BIMI_MAX_ZONE_RECORDS         200000u
/** Longest domain name in presentation form (RFC 1035 §2.3.4), bytes. */
#define BIMI_DNS_MAX_NAME_BYTES       BIMI_BASE_DNS_MAX_NAME_BYTES
/** Longest label (RFC 1035 §2.3.4), bytes. */
#define BIMI_DNS_MAX_LABEL_BYTES      BIMI_BASE_DNS_MAX_LABEL_BYTES
/** Most resource records in one answer (a larger answer is
 * BIMI_DNS_ERROR_LIMIT), and so most records of one RRset in zone data. */
#define BIMI_DNS_MAX_ANSWER_RECORDS   256u
/** Largest RDATA accepted from a zone file, in bytes: RDLENGTH is 16 bits
 * (RFC 1035 §3.2.1); the margin keeps owner, header and question inside one
 * 64 KiB message. */
#define BIMI_DNS_MAX_RDATA_BYTES      65000u
/** Largest TTL, seconds (RFC 2181 §8: 2^31 - 1). */
#define BIMI_DNS_MAX_TTL              2147483647u
/** TTL of a zone record with no TTL, no $TTL and no earlier TTL, seconds
 * (a default, not a bound; BIND uses the SOA minimum, which we may lack). */
#define BIMI_DNS_ZONE_DEFAULT_TTL     3600u
/* ---- engine/dns-cache (the in-process answer cache) ---------------------- */
/** Most answers held by one resolver's answer cache; the oldest go first. */
#define BIMI_DNS_CACHE_MAX_ENTRIES    65536u
/** Most bytes of answers held (names, RDATA and per-entry overhead as
 *  bimi_dns__cache_answer_bytes() counts them); a single larger answer is not kept. */
#define BIMI_DNS_CACHE_MAX_BYTES      (64u * 1024u * 1024u)
/** Independently locked parts of the cache (each holds 1/16 of both bounds). */
#define BIMI_DNS_CACHE_STRIPES        16u

/* ---- engine/arc (RFC 8617) --------------------------------------------- */
/** Most ARC sets (instances) in one chain: i= is 1..50 (RFC 8617 §4.2.1). */
#define BIMI_ARC_MAX_SETS             50u
/** Most ARC header fields (AAR + AMS + AS) collected from one message; more
 *  is a "fail" chain without looking further (3 per set). */
#define BIMI_ARC_MAX_FIELDS           (3u * BIMI_ARC_MAX_SETS)

/* ---- engine/dmarc (RFC 9989, RFC 7489) -------------------------------- */
/** Longest DMARC record parsed (one TXT RR, strings joined), in bytes. */
#define BIMI_DMARC_MAX_RECORD_BYTES   4096u
/** Most parsed DMARC records a BimiDmarcRecordCache keeps (issue 21), each keyed by its text (at most
 *  BIMI_DMARC_MAX_RECORD_BYTES) and mode; when full it starts empty again. */
#define BIMI_DMARC_RECORD_CACHE_MAX_ENTRIES 4096u
/** Most rua= (and, apart, ruf=) URIs kept from one record; the rest are dropped
 *  with a warning (RFC 7489 §6.2 lets receivers cap them; at least two required). */
#define BIMI_DMARC_MAX_REPORT_URIS    8u
/** Most "_dmarc" TXT queries of one DNS tree walk (RFC 9989 §4.10: eight). */
#define BIMI_DMARC_MAX_TREE_WALK_QUERIES 8u
/** Most DKIM signature outcomes one evaluation accepts. */
#define BIMI_DMARC_MAX_DKIM_INPUTS    64u

/* ---- engine/dkim (RFC 6376, RFC 8301, RFC 8463) ------------------------ */
/** DKIM-Signature fields verified per message unless configured ([auth] max_signatures). */
#define BIMI_DKIM_DEFAULT_MAX_SIGNATURES 10u
/** Highest max_signatures a configuration may ask for. */
#define BIMI_DKIM_MAX_SIGNATURES      50u
/** Smallest RSA key accepted, in bits (RFC 8301 §3.2: smaller keys fail). */
#define BIMI_DKIM_MIN_RSA_BITS        1024u
/** Largest public key accepted, in bits (verification cost grows with it). */
#define BIMI_DKIM_MAX_KEY_BITS        8192u
/** Longest key record (TXT strings joined) parsed, in bytes. */
#define BIMI_DKIM_MAX_KEY_RECORD_BYTES 8192u
/** Most names in one h= list (over-signing included). */
#define BIMI_DKIM_MAX_SIGNED_HEADERS  256u
/** Longest decoded b= signature, in bytes (an 8192-bit RSA signature is 1024). */
#define BIMI_DKIM_MAX_SIGNATURE_BYTES 1024u

/* ---- engine/dkim-key.c: the decoded-key cache (issue 21) ----------------- */
/** Most key names a BimiDkimKeyCache holds (a decoded RSA-2048 key is about
 *  3 KB: 4096 names stay under 16 MB); the oldest entry goes first. */
#define BIMI_DKIM_KEY_CACHE_MAX_ENTRIES 4096u
/** Longest a decoded key is kept, in seconds, whatever its record's TTL says
 *  (a key rotated by its owner is seen within a day). */
#define BIMI_DKIM_KEY_CACHE_MAX_TTL_SECONDS 86400u
/** Most signature verification outcomes a key cache's verification memo keeps ([auth]
 *  verify_memo_entries at most; about 100 bytes each); one more and the memo starts empty. */
#define BIMI_DKIM_VERIFY_MEMO_MAX_ENTRIES 1048576u
/** Default of [auth] verify_memo_entries (about 6 MB when full). */
#define BIMI_DKIM_VERIFY_MEMO_DEFAULT_ENTRIES 65536u

/* ---- engine/svg (spec/bimi-receiver.md §6, draft-svg-tiny-ps §2.4) ------ */
/** Largest SVG indicator, uncompressed, in bytes ("SHOULD NOT exceed 32
 *  kilobytes", treated as a hard limit; checked before parsing). */
#define BIMI_SVG_MAX_BYTES            32768u
/** Deepest element nesting (the root is depth 1); real logos use < 10. */
#define BIMI_SVG_MAX_DEPTH            32u
/** Most elements + comments + processing instructions + CDATA sections in one
 *  SVG (real logos: < 200); counted while parsing. */
#define BIMI_SVG_MAX_NODES            4096u
/** Most errors, and most warnings, kept per SVG; the rest are counted out
 *  (BimiSvgResult.truncated). */
#define BIMI_SVG_MAX_ISSUES           64u
/** Recommended longest <title>, in characters (a SHOULD: longer only warns). */
#define BIMI_SVG_TITLE_RECOMMENDED_CHARS 64u

/* ---- engine/fetch (spec/bimi-receiver.md §5, §7.1, §13 item 6) -------- */
/** Default cap on a logo (l=) after decompression, bytes: the SVG Tiny PS
 *  32 KiB limit, "evaluated uncompressed" (spec §6 item 9). */
#define BIMI_FETCH_LOGO_MAX_BYTES       32768u
/** Default cap on an Evidence Document (a=), bytes (issue 6; Mail::BIMI uses 65 535). */
#define BIMI_FETCH_EVIDENCE_MAX_BYTES   65536u
/** Largest cap the configuration may set for either kind, bytes. */
#define BIMI_FETCH_MAX_BODY_BYTES       (1024u * 1024u)
/** Bytes on the wire may be at most this many times the decoded cap (the
 *  "SVG ≤64 KiB raw / 32 KiB uncompressed" rule, spec §13 item 6). */
#define BIMI_FETCH_WIRE_FACTOR          2u
/** Default connect deadline, milliseconds. */
#define BIMI_FETCH_CONNECT_TIMEOUT_MS   2000u
/** Default deadline for the whole fetch (all redirect hops, waiting for a
 *  per-host slot included), milliseconds. */
#define BIMI_FETCH_TOTAL_TIMEOUT_MS     5000u
/** Default and largest number of redirects followed. */
#define BIMI_FETCH_MAX_REDIRECTS        2u
#define BIMI_FETCH_MAX_REDIRECTS_LIMIT  5u
/** Default concurrent fetches to one host name per fetcher. */
#define BIMI_FETCH_MAX_PER_HOST         4u
/** Longest URL fetched (initial or redirect target), bytes. */
#define BIMI_FETCH_MAX_URL_BYTES        2048u
/** Longest response header value kept (ETag, Last-Modified, Content-Type,
 *  Cache-Control), bytes; a longer one is treated as absent. */
#define BIMI_FETCH_MAX_HEADER_VALUE_BYTES 1024u
/** Most bytes of one response's header section (every line, per hop), checked line by
 *  line as libcurl hands them over: many long lines are refused as too-large before
 *  libcurl's own 300 KiB total; one line over libcurl's CURL_MAX_HTTP_HEADER (100 KiB)
 *  is refused by libcurl itself, also reported as too-large. */
#define BIMI_FETCH_MAX_HEADER_BYTES     (64u * 1024u)
/** Largest freshness lifetime returned, seconds (RFC 9111 §1.2.2: 2^31). */
#define BIMI_FETCH_MAX_AGE_LIMIT        2147483647
/** Most `resolve` (test/demo) pins in the configuration. */
#define BIMI_FETCH_MAX_RESOLVE_PINS     64u
/** Most addresses of one family (A, AAAA) that engine/dns gives for a fetch
 *  host and that are pinned for libcurl to try, in answer order. */
#define BIMI_FETCH_MAX_ADDRESSES_PER_FAMILY 8u
/** Default cap on a CRL (BIMI_FETCH_KIND_CRL), bytes. The CRLs of BIMI issuing
 *  CAs are a few KiB; 1 MiB leaves room for years of revocations. At most
 *  BIMI_FETCH_MAX_BODY_BYTES (and so below BIMI_VMC_MAX_CRL_BYTES). */
#define BIMI_FETCH_CRL_MAX_BYTES        (1024u * 1024u)

/* ---- engine/vmc (draft-fetch-validation-vmc-wchuang-11, MCR v1.7) ------ */
/** Largest Evidence Document (PEM chain) accepted, in bytes (spec §13 rule 6: PEM <= 256 KiB). */
#define BIMI_VMC_MAX_PEM_BYTES        (256u * 1024u)
/** Most certificates in one Evidence Document (leaf, intermediates, optional root). */
#define BIMI_VMC_MAX_CHAIN_CERTS      8u
/** Largest single DER certificate decoded from the PEM, in bytes. */
#define BIMI_VMC_MAX_CERT_BYTES       (64u * 1024u)
/** Longest PEM line (RFC 7468 writes 64 columns; lax readers accept longer), in bytes. */
#define BIMI_VMC_MAX_PEM_LINE_BYTES   1024u
/** Largest trust store / CT log list file read, in bytes. */
#define BIMI_VMC_MAX_TRUST_FILE_BYTES (1024u * 1024u)
/** Most trust anchors loaded from the trust store file. */
#define BIMI_VMC_MAX_TRUST_ANCHORS    64u
/** Most images / hashes / URIs read from one LogotypeDetails (RFC 9399 §4.1). */
#define BIMI_VMC_MAX_LOGOTYPE_ITEMS   16u
/** Longest logotype URI (the data: URI carrying the gzipped SVG), in bytes. */
#define BIMI_VMC_MAX_LOGO_URI_BYTES   (64u * 1024u)
/** Largest uncompressed SVG from a certificate, in bytes (spec §6 rule 9: 32 KiB). */
#define BIMI_VMC_MAX_SVG_BYTES        (32u * 1024u)
/** Most SCTs parsed from one SCT list (RFC 6962 §3.3). */
#define BIMI_VMC_MAX_SCTS             16u
/** Largest CRL accepted from the fetcher, in bytes. */
#define BIMI_VMC_MAX_CRL_BYTES        (4u * 1024u * 1024u)
/** Most CRLs kept in the trust object's cache (stale entries are refetched; a full cache is emptied). */
#define BIMI_VMC_MAX_CACHED_CRLS      64u
/** Most SAN dNSNames reported from the leaf. */
#define BIMI_VMC_MAX_SANS             100u

/* ---- engine/caution, cache/brands: brand-impersonation caution (issue 19) ---- */
/** Longest display name (or brand name, stop word) normalised, bytes: the display-name limit. */
#define BIMI_CAUTION_MAX_TEXT_BYTES   BIMI_MAX_DISPLAY_NAME_BYTES
/** Most UTF-16 units one ICU step (NFKC, case fold, skeleton, NFD) may produce; more is refused
 *  (the text then claims nothing). Four times BIMI_CAUTION_MAX_TEXT_BYTES: real names stay far below,
 *  a name of compatibility ligatures that expand 18-fold (U+FDFA) does not. */
#define BIMI_CAUTION_MAX_NORMALIZED_UNITS (8u * 1024u)
/** Longest brand name (brands_file group, certificate organisation, logo title), bytes. */
#define BIMI_CAUTION_MAX_NAME_BYTES   256u
/** Most domains of one brand (a brands_file entry; a certificate's SANs plus the record domain). */
#define BIMI_CAUTION_MAX_BRAND_DOMAINS 64u
/** Most brands in one brand set: the brands_file and the learned registry together. */
#define BIMI_CAUTION_MAX_BRANDS       10000u
/** Largest [caution] brands_file (and registry value parsed), bytes. */
#define BIMI_CAUTION_MAX_BRANDS_FILE_BYTES (1024u * 1024u)
/** Most words in a [caution] stop_words_file, and its largest size in bytes. */
#define BIMI_CAUTION_MAX_STOP_WORDS   10000u
#define BIMI_CAUTION_MAX_STOP_WORDS_FILE_BYTES (256u * 1024u)
/** Largest [caution] max_edit_distance. */
#define BIMI_CAUTION_MAX_EDIT_DISTANCE 3u
/** Defaults of [caution] min_name_length and max_edit_distance. */
#define BIMI_CAUTION_DEFAULT_MIN_NAME_LENGTH 5u
#define BIMI_CAUTION_DEFAULT_MAX_EDIT_DISTANCE 1u
/** Most learned brands the registry keeps ([caution] max_learned_brands upper bound); past the
 *  configured bound the brand whose certificate expires first goes. Its record-cache value must also
 *  fit BIMI_CACHE_MAX_VALUE_BYTES: brands expiring first are left out of it until it does. */
#define BIMI_BRAND_REGISTRY_MAX_LEARNED 5000u
#define BIMI_BRAND_REGISTRY_DEFAULT_MAX_LEARNED 1000u
/** Seconds between two reads of the shared registry value (what other nodes learned). */
#define BIMI_BRAND_REGISTRY_REFRESH_S 60u

/* ---- evaluate/config (DESIGN.md §6) ------------------------------------ */
/** Largest configuration file read, in bytes. */
#define BIMI_MAX_CONFIG_BYTES         (1024u * 1024u)

/* ---- engine/spf (RFC 7208) --------------------------------------------- */
/** Most DNS-querying terms (include a mx ptr exists redirect) per check_host() (§4.6.4). */
#define BIMI_SPF_MAX_DNS_TERMS        10u
/** Most "void" lookups (NXDOMAIN or no answer) per check_host() (§4.6.4). */
#define BIMI_SPF_MAX_VOID_LOOKUPS     2u
/** Most MX names one "mx" term may use; more is permerror (§4.6.4). */
#define BIMI_SPF_MAX_MX_NAMES         10u
/** Most PTR names one "ptr" term or %{p} looks at; the rest is ignored (§4.6.4). */
#define BIMI_SPF_MAX_PTR_NAMES        10u
/** Longest SPF record (TXT strings joined) parsed, in bytes; longer is permerror. */
#define BIMI_SPF_MAX_RECORD_BYTES     8192u
/** Most terms in one SPF record; more is permerror. */
#define BIMI_SPF_MAX_TERMS            1024u
/** Longest result of one macro expansion (§7), in bytes, before domain truncation. */
#define BIMI_SPF_MAX_EXPANSION_BYTES  8192u
/** Longest explanation TXT text (§6.2) expanded, in bytes; longer ones are ignored. */
#define BIMI_SPF_MAX_EXPLANATION_BYTES 2048u
/** Longest MAIL FROM address and HELO name accepted, in bytes (RFC 5321 §4.5.3.1). */
#define BIMI_SPF_MAX_SENDER_BYTES     512u
/** Default elapsed-time limit of one check_host(), in milliseconds (§4.6.4:
 *  "SHOULD allow at least 20 seconds"; exceeded → temperror). */
#define BIMI_SPF_DEFAULT_TIME_LIMIT_MS 20000u

/* ---- engine/rdns (FCrDNS, M3AAWG Sender BCP) ---------------------------- */
/** Most PTR names whose A/AAAA records are asked; the rest are reported, not tried. */
#define BIMI_RDNS_MAX_PTR_NAMES       10u
/** Default elapsed-time budget of one FCrDNS check, in per-query timeouts
 *  (BimiRdnsPolicy.budget_ms = 0): bounds a check whose PTR names all time out. */
#define BIMI_RDNS_BUDGET_QUERIES      2u

/* ---- report/ingest-*, report/mail-source: DMARC aggregate reports received (issue 16, RFC 9990, RFC 7489 App. C) */
/** Largest report payload read from one file or MIME part (XML, gzip or zip as
 *  stored), in bytes. */
#define BIMI_INGEST_MAX_PAYLOAD_BYTES  (32u * 1024u * 1024u)
/** Largest XML document of one report after decompression, in bytes (the
 *  largest real reports, from the biggest receivers, are a few MiB). */
#define BIMI_INGEST_MAX_XML_BYTES      (64u * 1024u * 1024u)
/** Highest decompression ratio (inflated bytes per payload byte) accepted once
 *  more than BIMI_INGEST_RATIO_FLOOR_BYTES came out: report XML deflates to
 *  about 1:10-1:40; a zip bomb reaches 1:1000 and more. */
#define BIMI_INGEST_MAX_INFLATE_RATIO  200u
/** Inflated size below which the ratio is not checked, in bytes (tiny reports
 *  compress oddly). */
#define BIMI_INGEST_RATIO_FLOOR_BYTES  (1024u * 1024u)
/** Most <record> elements in one report. */
#define BIMI_INGEST_MAX_RECORDS        100000u
/** Largest <count> of one <record> (messages from one source in one period): with
 *  BIMI_INGEST_MAX_RECORDS it bounds a report's total far below 2^63, so sums over many
 *  reports in `bimi report summary` cannot overflow (a sender controls these numbers). */
#define BIMI_INGEST_MAX_RECORD_COUNT   4294967295u
/** Most DKIM, and most SPF, <auth_results> entries kept per record. */
#define BIMI_INGEST_MAX_AUTH_RESULTS   32u
/** Most <reason>, <error> and <extension> entries kept per record or report. */
#define BIMI_INGEST_MAX_LIST_ITEMS     32u
/** Longest text of one element (org_name, report_id, a domain...), in bytes. */
#define BIMI_INGEST_MAX_FIELD_BYTES    1024u
/** Deepest element nesting in a report (the schema needs 5; extensions more). */
#define BIMI_INGEST_MAX_XML_DEPTH      24u
/** Most entries looked at in one zip archive. */
#define BIMI_INGEST_MAX_ARCHIVE_ENTRIES 16u
/** Most MIME parts walked in one message. */
#define BIMI_INGEST_MAX_MIME_PARTS     64u
/** Deepest MIME nesting (multipart in multipart, message/rfc822) walked. */
#define BIMI_INGEST_MAX_MIME_DEPTH     8u
/** Largest single item read from a mailbox (one mbox message, one Maildir or
 *  directory file), in bytes: the engine's message cap. */
#define BIMI_MAIL_SOURCE_MAX_ITEM_BYTES    BIMI_MAX_MESSAGE_BYTES
/** Most sources of one domain whose PTR and FCrDNS `bimi report summary` asks
 *  (the largest by messages; a report names any number of source IPs). */
#define BIMI_INGEST_SUMMARY_MAX_RDNS   64u
/** Deepest directory nesting walked below a directory given as input. */
#define BIMI_MAIL_SOURCE_MAX_DIR_DEPTH     8u

/* ---- cache/ (issue 8, DESIGN.md §8) ------------------------------------ */
/** Longest BIMI selector used in a record-cache key, bytes (one DNS label). */
#define BIMI_CACHE_MAX_SELECTOR_BYTES 63u
/** Longest record-cache key "<selector>._bimi.<domain>", bytes (63 + 7 + 253). */
#define BIMI_CACHE_MAX_KEY_BYTES      323u
/** Largest serialized value of one record-cache entry, bytes. */
#define BIMI_CACHE_MAX_VALUE_BYTES    (256u * 1024u)
/** Most entries of the memory record cache ([cache] max_entries upper bound). */
#define BIMI_CACHE_MAX_ENTRIES        10000000u
/** Largest file the logo store writes or reads (an SVG or one PNG), bytes. */
#define BIMI_CACHE_MAX_OBJECT_BYTES   (4u * 1024u * 1024u)
/** Largest PNG edge the logo store names, pixels. */
#define BIMI_CACHE_MAX_PNG_PX         4096u
/** Most files the logo store indexes (scan at start and inserts); more is BIMI_CACHE_ERROR_LIMIT. */
#define BIMI_CACHE_MAX_FILES          1000000u
/** Defaults of [cache]: dir, max_bytes, min_ttl, max_ttl, negative_ttl, max_entries, max_stale (s), wait_ms. */
#define BIMI_CACHE_DEFAULT_DIR        "/var/cache/bimi"
#define BIMI_CACHE_DEFAULT_MAX_BYTES  (1024ull * 1024u * 1024u)
#define BIMI_CACHE_DEFAULT_MIN_TTL    3600u
#define BIMI_CACHE_DEFAULT_MAX_TTL    86400u
#define BIMI_CACHE_DEFAULT_NEGATIVE_TTL 300u
#define BIMI_CACHE_DEFAULT_MAX_ENTRIES 100000u
#define BIMI_CACHE_DEFAULT_MAX_STALE  3600u
#define BIMI_CACHE_DEFAULT_WAIT_MS    10000u

/* ---- cache/redis (the shared fleet cache, issue 18) ---------------------- */
/** Longest [cache] redis_url, bytes. */
#define BIMI_CACHE_REDIS_MAX_URL_BYTES    1024u
/** Longest [cache] redis_prefix, bytes. */
#define BIMI_CACHE_REDIS_MAX_PREFIX_BYTES 64u
/** Highest logical database number of a redis_url (Redis' default "databases 16" minus one; larger
 *  servers exist, but a bigger number is more likely a typo). */
#define BIMI_CACHE_REDIS_MAX_DB           255u
/** Idle connections a node keeps open to Redis; more are closed when returned. */
#define BIMI_CACHE_REDIS_MAX_IDLE         64u
/** First and last backoff between reconnect attempts while Redis is down, ms (doubling). */
#define BIMI_CACHE_REDIS_BACKOFF_MIN_MS   100u
#define BIMI_CACHE_REDIS_BACKOFF_MAX_MS   5000u
/** First and last interval between polls of a single-flight wait on another node, ms (doubling). */
#define BIMI_CACHE_REDIS_POLL_MIN_MS      5u
#define BIMI_CACHE_REDIS_POLL_MAX_MS      50u
/** How long node memory serves a fresh entry without asking Redis again, ms: bounds how late a node
 *  sees what another node stored (a refresh, a re-population after a Redis restart) and how soon it
 *  notices that Redis went away. */
#define BIMI_CACHE_REDIS_LOCAL_FRESH_MS   1000u
/** Largest logo (SVG) kept in Redis for the other nodes, bytes (the SVG limit of the renderer). */
#define BIMI_CACHE_REDIS_MAX_SVG_BYTES    (64u * 1024u)
/** Defaults of [cache] redis_*: url, prefix, connect_timeout_ms, timeout_ms, lock_ms. */
#define BIMI_CACHE_REDIS_DEFAULT_URL      "redis://127.0.0.1:6379/0"
#define BIMI_CACHE_REDIS_DEFAULT_PREFIX   "bimi:"
#define BIMI_CACHE_REDIS_DEFAULT_CONNECT_TIMEOUT_MS 200u
#define BIMI_CACHE_REDIS_DEFAULT_TIMEOUT_MS 100u
#define BIMI_CACHE_REDIS_DEFAULT_LOCK_MS  30000u

/* ---- renderer (SVG -> PNG, librsvg + cairo; DESIGN.md §1, STYLE.md §6) ---- */
/** Largest SVG handed to the renderer, in bytes (engine/svg allows 32 KiB; margin for later drafts). */
#define BIMI_RENDER_MAX_SVG_BYTES     (64u * 1024u)
/** Largest output square side, in pixels, whatever the configured size set says. */
#define BIMI_RENDER_MAX_SIZE_PX       1024u
/** Most pixels of one output image (size x size); the cap on cairo's surface. */
#define BIMI_RENDER_MAX_PIXELS        (1024u * 1024u)
/** Most sizes in a configured size set. */
#define BIMI_RENDER_MAX_SIZES         32u
/** Default render deadline (wall clock, per request), in milliseconds. */
#define BIMI_RENDER_DEFAULT_DEADLINE_MS 2000u
/** Largest worker protocol frame body, in bytes (a PNG of BIMI_RENDER_MAX_PIXELS
 * ARGB pixels stored uncompressed is 4 MiB plus row filters and chunk headers). */
#define BIMI_RENDER_MAX_FRAME_BYTES   (5u * 1024u * 1024u)
/** Longest error message a worker may send back, in bytes. */
#define BIMI_RENDER_MAX_ERROR_BYTES   1024u
/** Most worker processes in one pool. */
#define BIMI_RENDER_MAX_WORKERS       64u
/** Default worker address-space limit (RLIMIT_AS), in MiB. */
#define BIMI_RENDER_DEFAULT_WORKER_AS_MB 512u
/** Default worker CPU time per request (RLIMIT_CPU soft limit above the time used so far), in s. */
#define BIMI_RENDER_DEFAULT_WORKER_CPU_S 2u
/** Default worker RLIMIT_NOFILE (fontconfig opens a few files to render text). */
#define BIMI_RENDER_DEFAULT_WORKER_NOFILE 32u
/** Requests a worker serves before it exits and is replaced (bounds leaks and the CPU hard limit). */
#define BIMI_RENDER_WORKER_MAX_REQUESTS 500u
/** Times a request is retried on a fresh worker after its worker died before
 *  answering (a second death of the same input is the input's fault: a render failure). */
#define BIMI_RENDER_MAX_RETRIES       1u

/* ---- engine/bimi (spec/bimi-receiver.md §2, §3, §9) --------------------- */
/** Longest Assertion Record (TXT strings joined) parsed, in bytes (DNS allows
 *  more; real records are < 300 bytes). Longer is an invalid record. */
#define BIMI_BIMI_MAX_RECORD_BYTES    2048u
/** Longest l= or a= URI, in bytes. */
#define BIMI_BIMI_MAX_URI_BYTES       1024u
/** Longest BIMI-Selector field value parsed, in bytes. */
#define BIMI_BIMI_MAX_SELECTOR_HEADER_BYTES 1024u
/** Longest selector, in bytes (it and "._bimi." and the domain must still fit
 *  BIMI_DNS_MAX_NAME_BYTES). */
#define BIMI_BIMI_MAX_SELECTOR_BYTES  128u
/** Most lps= prefixes in one record; more is an invalid record. */
#define BIMI_BIMI_MAX_LPS_PREFIXES    32u
/** Longest local-part selector (one DNS label, spec §2.2). */
#define BIMI_BIMI_MAX_LPS_BYTES       63u
/** Most TXT records looked at at one Assertion Record name. */
#define BIMI_BIMI_MAX_TXT_RECORDS     32u
/** BIMI-Indicator folding: base64 characters on the first line (after
 *  "BIMI-Indicator: ", 16 characters) and on each continuation line (after one
 *  SP), so no line exceeds 78 characters (RFC 5322 §2.1.1). */
#define BIMI_BIMI_INDICATOR_FIRST_LINE_CHARS 60u
#define BIMI_BIMI_INDICATOR_LINE_CHARS 76u

/* ---- report/ DMARC aggregate reporting (issue 15, RFC 9990) ----------- */
/** How long a connection to the report database waits for another connection's
 *  write lock before BIMI_REPORT_DB_ERROR_BUSY, ms (SQLite busy timeout). */
#define BIMI_REPORT_DB_BUSY_TIMEOUT_MS 5000u
/** Longest module name in the schema_version table, bytes. */
#define BIMI_REPORT_DB_MAX_MODULE_BYTES 32u
/** Default evaluation records waiting for the report writer thread ([report] queue_size);
 *  past it a record is dropped and counted, never waited for. */
#define BIMI_REPORT_DEFAULT_QUEUE     10000u
/** Largest [report] queue_size (a record is about 1 KiB in memory). */
#define BIMI_REPORT_MAX_QUEUE         1000000u
/** Most records the writer commits in one transaction. */
#define BIMI_REPORT_WRITE_BATCH       256u
/** Most dedup keys a recorder remembers as committed (about 100 bytes each): a record whose key
 *  is among them is counted as a duplicate without a queue hand-off or a database round trip
 *  (issue 21: webmail re-evaluates a message on each view). One more and the memory starts empty. */
#define BIMI_REPORT_RECORDED_MEMO_MAX 16384u
/** A queue-full warning is logged for the first dropped record and every this many after it. */
#define BIMI_REPORT_DROP_WARN_EVERY   1000u
/** Longest rua= URI read, in bytes (a mailto: with an address of at most 254 bytes, percent-encoded). */
#define BIMI_REPORT_MAX_URI_BYTES     1024u
/** Most <record> rows in one report; a policy domain with more distinct rows in a period gets
 *  further reports (parts) for the same period, each with its own report_id. */
#define BIMI_REPORT_MAX_ROWS_PER_REPORT 10000u
/** Most reports one `bimi report build` run writes; the policy domains beyond it are built by the
 *  next run (they are logged). */
#define BIMI_REPORT_MAX_REPORTS_PER_RUN 1000u
/** Most report mails one `bimi report send` run submits; the rest wait for the next run. */
#define BIMI_REPORT_MAX_SENDS_PER_RUN 1000u
/** Runs of `bimi report send` that may fail for one destination before it is marked failed. */
#define BIMI_REPORT_MAX_SEND_ATTEMPTS 5u
/** Deadline of one SMTP submission (connect to QUIT), seconds. */
#define BIMI_REPORT_SMTP_TIMEOUT_S    60u

/* ---- survey/ `bimi survey`: the operator's survey of a mail stream (issue 17) ---- */
/** Most time bins of one survey; a message whose bin would be one more is counted in the
 *  total only (and in "beyond_bin_limit"). 10000 bins = 6-hour bins over almost 7 years. */
#define BIMI_SURVEY_MAX_BINS          10000u
/** Shortest --bin, seconds. */
#define BIMI_SURVEY_MIN_BIN_SECONDS   60u
/** Most distinct author domains remembered per table (each bin and the total) for the
 *  "by distinct domains" counts; past it new domains are not counted and the output says
 *  the counts are a lower bound ("domains_capped"). */
#define BIMI_SURVEY_MAX_DOMAINS       200000u
/** Most malformed messages listed by file and reason; past it they are only counted. */
#define BIMI_SURVEY_MAX_MALFORMED_LISTED 10000u
/** Most --jobs (evaluation threads). */
#define BIMI_SURVEY_MAX_JOBS          256u
/** Messages waiting between the reader and the evaluation threads, per thread: the
 *  survey holds at most jobs * (this + 1) messages in memory, whatever the mailbox size. */
#define BIMI_SURVEY_QUEUE_PER_JOB     4u
/** Longest path line read from stdin (INPUT "-"), bytes (PATH_MAX). */
#define BIMI_SURVEY_MAX_PATH_LINE_BYTES 4096u
/** Chart size in pixels (--charts). */
#define BIMI_SURVEY_CHART_WIDTH       1200u
#define BIMI_SURVEY_CHART_HEIGHT      675u

/* ---- fcgi/ the service (DESIGN.md §4, conf [server]) -------------------- */
/** Most worker threads of bimi-fcgi. */
#define BIMI_SERVER_MAX_THREADS       256u
/** Default worker threads. */
#define BIMI_SERVER_DEFAULT_THREADS   8u
/** Default largest message body accepted by POST /bimi/v1/evaluate, bytes (more: 413). */
#define BIMI_SERVER_DEFAULT_MAX_MESSAGE_BYTES (10u * 1024u * 1024u)
/** Default accepted connections waiting for a worker before new ones get 503. */
#define BIMI_SERVER_DEFAULT_MAX_QUEUE 256u
/** Default SIGTERM grace for requests in flight, ms. */
#define BIMI_SERVER_DEFAULT_SHUTDOWN_MS 10000u

/* ---- evaluate/ (the pipeline, DESIGN.md §3 "decision") ----------- */
/** Largest record-cache value evaluate/ decodes (its own GKeyFile
 *  serialization of a validated verdict), bytes; larger is a corrupt entry. */
#define BIMI_EVALUATE_MAX_CACHE_VALUE_BYTES 16384u
/** Longest string field of a cached verdict (URIs, detail, names), bytes. */
#define BIMI_EVALUATE_MAX_CACHE_STRING_BYTES 2048u
/** Longest human detail of a verdict (why a logo or certificate failed), bytes; longer is cut. */
#define BIMI_EVALUATE_MAX_DETAIL_BYTES 512u
/** Version of the cached-verdict format; another version is a miss. */
#define BIMI_EVALUATE_CACHE_FORMAT    1
/** Seconds a temperror decision may be cached by the client (retry soon). */
#define BIMI_EVALUATE_TEMPERROR_TTL_S 30u
/** Most logo hashes remembered as unrenderable (the negative render cache);
 *  when full, expired entries go first, then the entry closest to expiry. */
#define BIMI_EVALUATE_MAX_UNRENDERABLE 4096u
/* ---- evaluate/evaluate-logo.c: the indicator memo (issue 21) ---- */
/** Most validated SVGs kept in memory for the BIMI-Indicator header form (each at most
 *  BIMI_SVG_MAX_BYTES, with its base64 form), so that a decision showing a logo does not
 *  read, hash, touch and encode its file in the logo store per request; when full, expired
 *  entries go first, then the entry closest to expiry. */
#define BIMI_EVALUATE_MAX_INDICATOR_MEMO 256u
/** Seconds an SVG stays in the indicator memo before the logo store is read again
 *  (which notices an eviction and keeps the store's LRU recency current). */
#define BIMI_EVALUATE_INDICATOR_MEMO_TTL_S 60u
/* ---- evaluate/evaluate-evidence.c: the decoded-verdict memo (issue 21) ---- */
/** Most decoded verdicts remembered by their record-cache value (each value at most
 *  BIMI_EVALUATE_MAX_CACHE_VALUE_BYTES), so that a cached verdict is not parsed from its key-file
 *  form per request; the key is the value's bytes, so an entry never goes stale. When full, the
 *  memo starts empty again. */
#define BIMI_EVALUATE_MAX_VERDICT_MEMO 1024u
/* ---- evaluate/filter (consent-aware filtering, issue 17) ---- */
/** Longest consent list accepted (consent= of POST /bimi/v1/evaluate, `bimi evaluate --consent`,
 *  [filter] default_consent), bytes: "dmarc, no-ptr" is 13; more is not a list of the known filters. */
#define BIMI_FILTER_MAX_CONSENT_BYTES 64u
/* ---- operator logs (evaluate, issue 22) ---- */
/** Most brands (record domain, selector) whose last state is remembered, so that a brand-side failure is
 *  logged once per state change; past it the table starts empty again (a state may be logged twice). */
#define BIMI_EVALUATE_MAX_BRAND_STATES 16384u
/** Longest HELO identity accepted in an envelope, bytes (RFC 5321 §4.5.3.1.2 domain). */
#define BIMI_EVALUATE_MAX_HELO_BYTES  255u

/* ---- engine/received (RFC 5321 §4.4 trace fields) and authres-trust ------ */
/** Longest Received field value parsed, in bytes (real ones stay under 1 KiB;
 *  Exchange's with their TLS comments under 2 KiB). */
#define BIMI_RECEIVED_MAX_BYTES       (8u * 1024u)
/** Most tokens (words, literals, angle-addrs, comments) before the ";" of one Received value. */
#define BIMI_RECEIVED_MAX_TOKENS      256u
/** Deepest nesting of comments "( ( ) )" in a Received value: the one RFC 5322 lexer limit. */
#define BIMI_RECEIVED_MAX_COMMENT_DEPTH BIMI_BASE_MAX_COMMENT_DEPTH
/** Most Received fields walked from the top looking for a trusted hop (RFC 5321
 *  §6.3 suggests treating 100 hops as a loop). */
#define BIMI_RECEIVED_MAX_HOPS        100u
/** Longest Return-Path value read, in bytes (RFC 5321 §4.5.3.1.3: a path is at most 256 octets). */
#define BIMI_RECEIVED_MAX_PATH_BYTES  1024u
/** Most Authentication-Results fields looked at for our own A-R (engine/authres-trust). */
#define BIMI_AUTHRES_TRUST_MAX_FIELDS 64u

/* ---- fcgi/ requests --------------------------------------------------- */
/** Longest request path (REQUEST_URI before '?') routed, bytes; longer: 404. */
#define BIMI_SERVER_MAX_PATH_BYTES    2048u
/** Longest query string parsed, bytes; longer: 400 (field "query"). */
#define BIMI_SERVER_MAX_QUERY_BYTES   4096u
/** Most name=value pairs in one query string. */
#define BIMI_SERVER_MAX_QUERY_PARAMS  16u
/** Longest HELO identity accepted in the query (a domain or an address literal), bytes. */
#define BIMI_SERVER_MAX_HELO_BYTES    255u
/** Longest MAIL FROM accepted in the query, bytes (RFC 5321 §4.5.3.1.3: a path is at most 256 octets). */
#define BIMI_SERVER_MAX_MAIL_FROM_BYTES 256u
/** Longest Author Domain in GET /bimi/v1/domain/<domain> after percent-decoding, bytes
 *  (U-labels in UTF-8 may be longer than their 253-byte A-label form). */
#define BIMI_SERVER_MAX_DOMAIN_BYTES  1024u
/** Request body read and thrown away on routes that take none (and for a 503), bytes;
 *  more and the connection is closed instead of kept. */
#define BIMI_SERVER_MAX_DRAIN_BYTES   (64u * 1024u)
/** Open FastCGI connections (idle, queued and busy together; fewer when RLIMIT_NOFILE cannot be raised
 *  this far). A new one past it closes the connection idle the longest; only when every one is
 *  queued or busy is the new one closed. */
#define BIMI_SERVER_MAX_CONNECTIONS   4096u
/** Bytes of a connection the dispatcher looks at (peeks) while it waits for a whole request; when this
 *  much is waiting the sender is not slow, and a worker takes the request (bodies larger than this). */
#define BIMI_SERVER_READAHEAD_BYTES   (64u * 1024u)
/** Most FastCGI records before a request is complete within BIMI_SERVER_READAHEAD_BYTES (nginx sends
 *  3 to 5); more and the connection is closed. */
#define BIMI_SERVER_MAX_SCAN_RECORDS  256u
/** A request that has begun to arrive must be whole (or BIMI_SERVER_READAHEAD_BYTES long) within this,
 *  seconds; else the connection is closed. Until then it waits in the dispatcher, not in a worker. */
#define BIMI_SERVER_REQUEST_TIMEOUT_S 10u
/** Descriptors kept for everything but FastCGI connections (render workers, the logo store, DNS,
 *  fetches, logs): connections may use RLIMIT_NOFILE minus this. */
#define BIMI_SERVER_FD_RESERVE        256u
/** Send/receive timeout of one FastCGI connection, seconds: a stalled peer costs a worker this long at most. */
#define BIMI_SERVER_IO_TIMEOUT_S      30u
/** Retry-After of a 503, seconds. */
#define BIMI_SERVER_RETRY_AFTER_S     1u
/** How long a closed connection is drained after our last byte (so the peer reads the answer, not a reset), ms. */
#define BIMI_SERVER_LINGER_MS         1000u

#endif /* BIMI_LIMITS_H */
