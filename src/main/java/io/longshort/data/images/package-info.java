/**
 * Image data: CIFAR-10 and image-folder readers, PIL-compatible resizing, preprocessing and
 * augmentation, synthetic images for tests.
 *
 * <p><b>Public API</b> ({@code ImageSet}, the readers, {@code Preprocessing}). A leaf beside
 * {@code data}: it imports only {@code spec}'s enum parsing; imported by {@code train}
 * and {@code cli}.
 */
package io.longshort.data.images;
