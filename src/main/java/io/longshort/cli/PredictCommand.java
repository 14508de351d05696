package io.longshort.cli;

import io.longshort.export.RestPredict;
import io.longshort.export.SavedModelWriter;
import io.longshort.export.ServingLimits;
import io.longshort.io.TextFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.tensorflow.SavedModelBundle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Runs one TF Serving REST request against a SavedModel. */
@Command(name = "predict", mixinStandardHelpOptions = true,
    description = "Loads a SavedModel (tag 'serve') and answers a request in TF Serving's REST predict format:"
        + " {\"instances\": [{\"input_ids\": [...], \"mask\": [...]}, ...]} -> {\"predictions\": [...]},"
        + " or {\"inputs\": {\"input_ids\": [[...]], ...}} -> {\"outputs\": {...}}; \"signature_name\""
        + " picks a signature (default serving_default). A bad request prints {\"error\": \"...\"} and"
        + " exits with 2: among others ids outside the model's vocabulary, and more rows than"
        + " max_batch_size in the export's batching_parameters.txt (as TF Serving's batching refuses"
        + " them). Security: a SavedModel is a program (TensorFlow's security model); load none from an"
        + " untrusted source.")
final class PredictCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Option(names = "--saved-model", required = true, paramLabel = "DIR",
      description = "A SavedModel folder, or a model folder of versions (the highest is used).")
  Path savedModel;

  @Option(names = "--request", paramLabel = "FILE|-", defaultValue = "-",
      description = "The request JSON file, or - for standard input (default).")
  String request;

  @Option(names = "--json", paramLabel = "TEXT", description = "The request JSON itself (instead of --request).")
  String json;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = command.commandLine().getOut();
    if (json != null && command.commandLine().getParseResult().hasMatchedOption("--request")) {
      throw new IllegalArgumentException("--json and --request (" + request + ") both give the request: give one");
    }
    Path dir = resolveVersion(savedModel);
    String body = json != null ? json
        : request.equals("-") ? TextFiles.decode(System.in.readAllBytes(), "--request - (standard input)")
        : TextFiles.read(Path.of(request), "--request");
    SavedModelBundle loaded;
    try {
      loaded = SavedModelBundle.load(dir.toString(), SavedModelWriter.TAG);
    } catch (org.tensorflow.exceptions.TensorFlowException | IllegalArgumentException e) {
      // TF Java throws INVALID_ARGUMENT (a damaged proto, among others) as an IllegalArgumentException
      throw new IOException("cannot load the SavedModel in " + dir + ": " + SavedModelWriter.loadFailure(e), e);
    }
    try (SavedModelBundle b = loaded) {
      o.println(RestPredict.predict(b.session(), b.metaGraphDef().getSignatureDefMap(), body, ServingLimits.of(dir)));
      o.flush();
      return 0;
    } catch (RestPredict.BadRequest e) {
      o.println(RestPredict.errorJson(e.getMessage()));
      o.flush();
      return 2;
    }
  }

  static Path resolveVersion(Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve(SavedModelWriter.SAVED_MODEL_FILE))) {
      return dir;
    }
    var versions = io.longshort.export.ServingExport.versions(dir);
    if (versions.isEmpty()) {
      throw new IOException(dir + " is neither a SavedModel nor a folder of numbered versions");
    }
    return dir.resolve(Long.toString(versions.get(versions.size() - 1)));
  }
}
