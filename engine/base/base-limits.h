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
