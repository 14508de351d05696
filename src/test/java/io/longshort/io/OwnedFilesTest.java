package io.longshort.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnedFilesTest {
  @TempDir
  Path dir;

  @Test
  void aFolderOfRecordedFilesIsReplaceableAndAnythingElseIsNamed() throws Exception {
    Path bundle = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundle.resolve("model.json"), "{}");
    Files.createDirectories(bundle.resolve("sub"));
    Files.writeString(bundle.resolve("sub/w.bin"), "weights");
    OwnedFiles.recordAll(bundle, "import-lra");
    OwnedFiles.checkFolderReplaceable(bundle, "import-lra", "--out");
    OwnedFiles.checkFolderReplaceable(dir.resolve("absent"), "import-lra", "--out");

    Files.writeString(bundle.resolve("notes.txt"), "mine");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OwnedFiles.checkFolderReplaceable(bundle, "import-lra", "--out"));
    assertEquals(bundle.toRealPath().resolve("notes.txt") + " was not written by import-lra (" + OwnedFiles.MARKER
        + " does not list it as import-lra's); --overwrite replaces only what import-lra wrote: move it away or"
        + " choose another --out", e.getMessage());
    Files.delete(bundle.resolve("notes.txt"));

    Files.writeString(bundle.resolve("sub/w.bin"), "weightz");
    e = assertThrows(IllegalArgumentException.class,
        () -> OwnedFiles.checkFolderReplaceable(bundle, "import-lra", "--out"));
    assertEquals(bundle.toRealPath().resolve("sub/w.bin") + " was changed since import-lra wrote it (its contents"
        + " differ from what " + OwnedFiles.MARKER + " recorded); --overwrite replaces only what import-lra wrote:"
        + " move it away or choose another --out", e.getMessage());
    // another command's files are not this one's
    Files.writeString(bundle.resolve("sub/w.bin"), "weights");
    assertThrows(IllegalArgumentException.class,
        () -> OwnedFiles.checkFolderReplaceable(bundle, "export", "--model-version"));
  }

  @Test
  void namedFilesOnlyAndOtherWritersEntriesKept() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("basic_train.tsv"), "ours");
    Files.writeString(data.resolve("lra_notes.txt"), "the user's, never named");
    OwnedFiles.record(data, "generate-listops", List.of("basic_train.tsv"));
    OwnedFiles.checkReplaceable(data, "generate-listops", List.of("basic_train.tsv", "basic_val.tsv"), "folder");
    Files.writeString(data.resolve("basic_val.tsv"), "LRA's real file");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OwnedFiles.checkReplaceable(data,
        "generate-listops", List.of("basic_train.tsv", "basic_val.tsv"), "folder"));
    assertEquals(data.resolve("basic_val.tsv") + " was not written by generate-listops (" + OwnedFiles.MARKER
        + " does not list it as generate-listops's); --overwrite replaces only what generate-listops wrote: move it"
        + " away or choose another folder", e.getMessage());
    // a second record keeps the first one's entries
    OwnedFiles.record(data, "other", List.of("lra_notes.txt"));
    OwnedFiles.checkReplaceable(data, "generate-listops", List.of("basic_train.tsv"), "folder");
  }

  @Test
  void withoutAMarkerNothingIsOurs() throws Exception {
    Path d = Files.createDirectories(dir.resolve("old"));
    Files.writeString(d.resolve("model.json"), "{}");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OwnedFiles.checkFolderReplaceable(d, "import-lra", "--out"));
    assertEquals(d.toRealPath().resolve("model.json") + " was not written by import-lra (the folder has no "
        + OwnedFiles.MARKER + "); --overwrite replaces only what import-lra wrote: move it away or choose another"
        + " --out", e.getMessage());
  }
}
