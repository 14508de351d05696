package io.longshort.io;

import java.nio.file.Path;

/**
 * A second process for {@link FolderLockTest}: locks the folder {@code args[0]}, prints "held",
 * and sleeps until it is killed (or for a minute).
 */
public final class HoldLock {
  private HoldLock() {}

  public static void main(String[] args) throws Exception {
    FolderLock lock = FolderLock.acquire(Path.of(args[0]), "test folder", "HoldLock");
    System.out.println("held " + lock.file());
    System.out.flush();
    Thread.sleep(60_000);
  }
}
