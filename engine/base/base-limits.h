/* engine/base/base-limits.h — the limits of the base layer's readers.
 *
 * engine/base/ includes nothing else from engine/, so the limits its readers
 * apply live here; engine/limits.h re-uses them under the names the modules
 * (and their tests) have always used. Every limit is also passed to the reader
 * that applies it, so a caller may ask for less.
 */
#pragma once

/** Deepest nesting of RFC 5322 comments "( ( ) )" any reader accepts
 *  (address lists, Authentication-Results, Received). Real mail nests < 3. */
#define BIMI_BASE_MAX_COMMENT_DEPTH 16u

/** Deepest nesting of arrays and objects a BimiJsonWriter takes (engine/base/base-json,
 *  issue 21); deeper is a programmer error. The deepest result object nests 5. */
#define BIMI_BASE_JSON_WRITER_MAX_DEPTH 64u

/** Longest domain name in presentation form without the trailing dot, in
 *  bytes (RFC 1035 §2.3.4: 255 octets in wire form). */
#define BIMI_BASE_DNS_MAX_NAME_BYTES 253u
/** Longest label, in bytes (RFC 1035 §2.3.4). */
#define BIMI_BASE_DNS_MAX_LABEL_BYTES 63u
