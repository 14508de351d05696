/**
 * The command line ({@code Main} and one class per command): a thin caller of the public API that
 * names each step's inputs the same way in every command (shared options as picocli mixins).
 *
 * <p><b>Internal</b>: the top of the layering; it may import every package and no package imports it.
 */
package io.longshort.cli;
