package io.longshort.data;

/**
 * One encoded row: ids and mask of length N, the text's token count before truncation and how
 * many tokens truncation to N dropped (0 when it fit).
 */
public record TokenEncoding(int[] ids, int[] mask, int tokens, int truncated) {}
