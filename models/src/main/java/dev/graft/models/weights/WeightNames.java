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
 * knows ({@link Network#bodyChildren()}); {@code 1.<i>.rest} is {@code head.<i>.rest}. timm's ConvNeXt names go
 * through {@link TimmNames}'s table, bare or under fastai's {@code 0.model.} (a learner over a timm model).
 */
public final class WeightNames {
    private static final Pattern FASTAI = Pattern.compile("^([01])\\.(\\d+)(\\..+)?$");

    private final List<String> bodyChildren;

    public WeightNames(Network network) {
        this.bodyChildren = network.bodyChildren();
    }

    /**
     * FASTAI when every key has fastai's {@code 0.<i>} / {@code 1.<i>} form; FASTAI_TIMM when every key is fastai's
     * {@code 0.model.} (a timm body) or {@code 1.<i>}; TIMM when any key lies under timm's ConvNeXt {@code stem.} or
     * {@code stages.}, which no torchvision network has; GRAFT otherwise.
     */
    public static Naming detect(Collection<String> keys) {
        if (keys.isEmpty()) {
            return Naming.GRAFT;
        }
        boolean fastai = true;
        boolean fastaiTimm = false;
        boolean fastaiHeadOrTimmBody = true;
        boolean timm = false;
        for (String k : keys) {
            boolean timmBody = k.startsWith(TimmNames.FASTAI_BODY);
            boolean fastaiKey = FASTAI.matcher(k).matches();
            fastai &= fastaiKey;
            fastaiTimm |= timmBody;
            fastaiHeadOrTimmBody &= timmBody || (fastaiKey && k.startsWith("1."));
            timm |= TimmNames.looksTimm(k);
        }
        if (fastai) {
            return Naming.FASTAI;
        }
        if (fastaiTimm && fastaiHeadOrTimmBody) {
            return Naming.FASTAI_TIMM;
        }
        return timm ? Naming.TIMM : Naming.GRAFT;
    }

    /** The Graft name for a key written in the given naming, or empty when the key names nothing in this network. */
    public Optional<String> toGraft(String key, Naming naming) {
        if (naming == Naming.GRAFT) {
            return Optional.of(key);
        }
        if (naming == Naming.TIMM) {
            return TimmNames.toTorchvision(key);
        }
        if (naming == Naming.FASTAI_TIMM && key.startsWith(TimmNames.FASTAI_BODY)) {
            return TimmNames.toTorchvision(key.substring(TimmNames.FASTAI_BODY.length()));
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
        if (naming == Naming.FASTAI_TIMM || index >= bodyChildren.size()) {
            return Optional.empty();
        }
        return Optional.of(bodyChildren.get(index) + rest);
    }

    /**
     * The key a file written in {@code naming} would hold for a Graft name (the inverse of {@link #toGraft}), for error
     * messages that name what is missing as the file would; a name without a timm counterpart comes back unchanged.
     */
    public String toFile(String graftName, Naming naming) {
        return switch (naming) {
            case GRAFT -> graftName;
            case FASTAI -> toFastai(graftName);
            case TIMM -> TimmNames.toTimm(graftName).orElse(graftName);
            case FASTAI_TIMM -> graftName.startsWith(Heads.PREFIX + ".") ? toFastai(graftName)
                : TimmNames.toTimm(graftName).map(t -> TimmNames.FASTAI_BODY + t).orElse(graftName);
        };
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
