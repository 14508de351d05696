/**
 * Export for serving: SavedModels in TF Serving's layout ({@code SavedModelWriter},
 * {@code ServingExport}: variables, signatures, warm-up requests, model config), GraphDefs, model
 * bundles and TF checkpoints, each written under a temporary name and renamed into place.
 *
 * <p><b>Public API</b> ({@code ServingExport}, {@code SavedModelWriter}, {@code ModelBundle},
 * {@code ExportOptions}); the proto and record helpers are internal. Imports {@code spec},
 * {@code graph}, {@code compile}, {@code weights} and {@code io}; imported only by {@code cli}.
 */
package io.longshort.export;
