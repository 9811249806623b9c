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

/* ---- engine/config (DESIGN.md §6) ------------------------------------ */
/** Largest configuration file read, in bytes. */
#define BIMI_MAX_CONFIG_BYTES         (1024u * 1024u)

#endif /* BIMI_LIMITS_H */
