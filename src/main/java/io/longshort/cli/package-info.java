/**
 * The command line ({@code Main} and one class per command): a thin caller of the public API that
 * names each step's inputs the same way in every command (shared options as picocli mixins).
 *
 * <p><b>Internal</b>: the top of the layering; it may import every package and no package imports it.
 * Only {@code Main} is public. The shared options are one mixin each: {@code SeedOption},
 * {@code BatchOption}, {@code LengthOption}, {@code RunOption} and {@code ModelSourceOptions}, with
 * per-command defaults ({@code SharedOption}).
 */
package io.longshort.cli;
