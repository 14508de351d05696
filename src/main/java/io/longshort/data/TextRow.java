package io.longshort.data;

import java.util.List;

/**
 * One row of a user's data file: the text fields' UTF-8 bytes in the order the fields were named,
 * and the label as its name (a number label as its decimal text).
 *
 * @param number the row's line (JSONL, CSV) or record (TFRecord), 1-based, for messages
 */
public record TextRow(long number, List<byte[]> texts, String label) {}
