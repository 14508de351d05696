package io.longshort.weights;

import io.longshort.graph.core.Parameters;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.tensorflow.Session;
import org.tensorflow.types.family.TFloating;

/**
 * Loads the authors' ImageNet checkpoints ({@code MsViT}'s state_dict, converted by
 * scripts/pth_to_safetensors.py) into a vision graph. Our parameters carry MsViT's state_dict names
 * ({@code layer1.0.proj.weight}, {@code layer2.3.attn.qkv.bias}, {@code norm.weight},
 * {@code head.weight}, ...), so the mapping is the identity; what their state_dict holds beside
 * the parameters is known and skipped: the {@code relative_position_index} buffers (they follow
 * from the window and grid) and {@code dual_ln_dp} of a long-short attention without dynamic
 * projection (their {@code AttentionLS} builds it for every rank, and uses it only for r > 0), and
 * the empty {@code cls_pos_embed} (1, 0, D) of a stage with absolute positions and no global token.
 * Any other tensor the graph does not take means the file is another model (a deeper stage, other
 * positions): it is refused before anything is assigned, rather than half-loaded.
 */
public final class MsVitWeights {
  private MsVitWeights() {}

  /**
   * Loads every parameter from the tensor of the same name; refuses a file holding tensors that are
   * neither parameters, MsViT's buffers nor {@code extra}.
   */
  public static <T extends TFloating> WeightLoader.Report load(Session session, Parameters<T> params,
      Safetensors file, Set<String> extra) throws IOException {
    List<String> unexpected = unexpected(params.asMap().keySet(), file).stream()
        .filter(n -> !extra.contains(n)).toList();
    if (!unexpected.isEmpty()) {
      throw new IllegalArgumentException(file.file() + ": " + unexpected.size() + " tensor(s) the model has no"
          + " parameter for, e.g. " + unexpected.subList(0, Math.min(5, unexpected.size()))
          + ": the checkpoint is another architecture than the model's (check the arch string, image size and"
          + " classes)");
    }
    return WeightLoader.load(session, params, file);
  }

  /** The file's tensors that are neither {@code parameters} nor what MsViT holds beside them. */
  public static List<String> unexpected(Collection<String> parameters, Safetensors file) throws IOException {
    Set<String> ours = Set.copyOf(parameters);
    Set<String> out = new TreeSet<>();
    for (String n : file.names()) {
      if (ours.contains(n) || n.endsWith(".relative_position_index")) {
        continue;
      }
      // a stage with absolute positions and no global token keeps cls_pos_embed (1, 0, D): no values
      if (n.endsWith(".0.cls_pos_embed") && Arrays.stream(file.info(n).shape()).anyMatch(x -> x == 0)) {
        continue;
      }
      // dual_ln_dp of an attention whose to_dynamic_projection we do not have (rank 0)
      int at = n.indexOf(".attn.dual_ln_dp.");
      if (at >= 0 && !ours.contains(n.substring(0, at) + ".attn.to_dynamic_projection.weight")
          && ours.contains(n.substring(0, at) + ".attn.qkv.weight")) {
        continue;
      }
      out.add(n);
    }
    return List.copyOf(out);
  }
}
