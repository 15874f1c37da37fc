package org.mxtrap.queue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Directory creation and sync with the durability a mail store needs (spool and Maildir). */
public final class Directories {
  private Directories() {}

  /** fsyncs a directory so that the entries created, renamed or removed in it are durable. */
  public static void sync(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /**
   * Creates {@code dir} and any missing parents, fsyncing each parent that gained an entry: a
   * message fsynced into a directory whose own creation was never synced can vanish with it.
   */
  public static void createDurably(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath();
    if (Files.isDirectory(abs)) {
      return;
    }
    Path parent = abs.getParent();
    if (parent != null) {
      createDurably(parent);
    }
    try {
      Files.createDirectory(abs);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(abs)) {
        throw e;
      }
      return; // created concurrently; whoever created it syncs the parent
    }
    if (parent != null) {
      sync(parent);
    }
  }
}
