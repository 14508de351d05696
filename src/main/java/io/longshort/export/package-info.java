/**
 * Export for serving: SavedModels in TF Serving's layout ({@code SavedModelWriter},
 * {@code ServingExport}: variables, signatures, warm-up requests, model config), GraphDefs, model
 * bundles and TF checkpoints, each written under a temporary name and renamed into place.
 *
 * <p><b>Public API</b> ({@code Export}: one call from a trainer, a run or a built model, options by
 * name; {@code ServingExport}'s folder helpers, {@code SavedModelWriter}, {@code ModelBundle},
 * {@code ExportOptions}); the proto and record helpers are internal. Imports {@code spec},
 * {@code graph}, {@code compile}, {@code train} (a run's model and checkpoints), {@code weights} and
 * {@code io}; imported only by {@code cli}.
 */
package io.longshort.export;
