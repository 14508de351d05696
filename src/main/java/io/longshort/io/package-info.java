/**
 * File safety shared by every writer: atomic writes under a temporary name ({@code AtomicFiles}),
 * folder locks, owned-file checks (nothing a user owns is deleted), content fingerprints and size-limited
 * text reads.
 *
 * <p><b>Public API</b> (small). A leaf: it imports no {@code io.longshort} package; any package may
 * import it.
 */
package io.longshort.io;
