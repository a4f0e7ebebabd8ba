package dev.graft.models.weights;

import dev.graft.models.head.Heads;
import dev.graft.models.spec.Network;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Translates parameter names between fastai's state-dict keys and Graft's (torchvision's) names, for one network.
 *
 * <p>fastai keys the body by child index: {@code 0.<i>.rest} is the body's i-th top-level module, which the network
 * knows ({@link Network#bodyChildren()}); {@code 1.<i>.rest} is {@code head.<i>.rest}.
 */
public final class WeightNames {
    private static final Pattern FASTAI = Pattern.compile("^([01])\\.(\\d+)(\\..+)?$");

    private final List<String> bodyChildren;

    public WeightNames(Network network) {
        this.bodyChildren = network.bodyChildren();
    }

    /** FASTAI when every key has fastai's {@code 0.<i>} / {@code 1.<i>} form, GRAFT otherwise. */
    public static Naming detect(Collection<String> keys) {
        if (keys.isEmpty()) {
            return Naming.GRAFT;
        }
        for (String k : keys) {
            if (!FASTAI.matcher(k).matches()) {
                return Naming.GRAFT;
            }
        }
        return Naming.FASTAI;
    }

    /** The Graft name for a key written in the given naming, or empty when the key names nothing in this network. */
    public Optional<String> toGraft(String key, Naming naming) {
        if (naming == Naming.GRAFT) {
            return Optional.of(key);
        }
        Matcher m = FASTAI.matcher(key);
        if (!m.matches()) {
            return Optional.empty();
        }
        int index = Integer.parseInt(m.group(2));
        String rest = m.group(3) == null ? "" : m.group(3);
        if (m.group(1).equals("1")) {
            return Optional.of(Heads.PREFIX + "." + index + rest);
        }
        if (index >= bodyChildren.size()) {
            return Optional.empty();
        }
        return Optional.of(bodyChildren.get(index) + rest);
    }

    /** fastai's key for a Graft name (the inverse of {@link #toGraft}). */
    public String toFastai(String graftName) {
        String head = Heads.PREFIX + ".";
        if (graftName.startsWith(head)) {
            return "1." + graftName.substring(head.length());
        }
        for (int i = 0; i < bodyChildren.size(); i++) {
            String child = bodyChildren.get(i);
            if (graftName.equals(child) || graftName.startsWith(child + ".")) {
                return "0." + i + graftName.substring(child.length());
            }
        }
        throw new IllegalArgumentException(graftName + " is not a parameter of this network's body or head");
    }
}
