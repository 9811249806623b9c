/* engine/limits.h — every bound on hostile input, in one place (STYLE.md §4).
 *
 * Each limit is checked *before* the allocation it guards (GLib aborts on
 * out-of-memory), and each has a test that hits it. Later modules (SPF, DKIM,
 * ARC, DMARC, BIMI, fetch, SVG, VMC, renderer) add their own section here.
 */
#ifndef BIMI_LIMITS_H
#define BIMI_LIMITS_H

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
/** Deepest nesting of comments "( ( ) )" in an address list. */
#define BIMI_MAX_ADDRESS_COMMENT_DEPTH 16u

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
/** Deepest nesting of comments "( ( ) )" accepted. */
#define BIMI_MAX_COMMENT_DEPTH        16u

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
#define BIMI_DNS_MAX_NAME_BYTES       253u
/** Longest label (RFC 1035 §2.3.4), bytes. */
#define BIMI_DNS_MAX_LABEL_BYTES      63u
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

/* ---- engine/dmarc (RFC 9989, RFC 7489) -------------------------------- */
/** Longest DMARC record parsed (one TXT RR, strings joined), in bytes. */
#define BIMI_DMARC_MAX_RECORD_BYTES   4096u
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

/* ---- engine/config (DESIGN.md §6) ------------------------------------ */
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

#endif /* BIMI_LIMITS_H */
