package dev.graft.models.arch;

import dev.graft.models.GraftException;
import java.util.List;
import java.util.function.Function;

/**
 * Where a backbone is cut to make a body: fastai's {@code cut} argument of {@code create_body}.
 *
 * <p>An index keeps {@code children[:cut]} (negative counts from the end, as in Python); a function receives the
 * children and returns the body's; {@link #auto()} cuts before the last child that holds a pooling layer.
 */
public abstract class Cut {
    private Cut() {
    }

    public abstract List<Child> apply(List<Child> children);

    /** {@code children[:index]}, Python slicing semantics. */
    public static Cut index(int index) {
        return new Cut() {
            @Override
            public List<Child> apply(List<Child> children) {
                int n = children.size();
                int end = index < 0 ? n + index : index;
                if (end <= 0 || end > n) {
                    throw new GraftException("cut " + index + " leaves no body: the backbone has " + n + " children");
                }
                return children.subList(0, end);
            }

            @Override
            public String toString() {
                return Integer.toString(index);
            }
        };
    }

    /** A custom cut: the function gets the backbone's children and returns those that form the body. */
    public static Cut function(String description, Function<List<Child>, List<Child>> f) {
        return new Cut() {
            @Override
            public List<Child> apply(List<Child> children) {
                List<Child> body = f.apply(List.copyOf(children));
                if (body == null || body.isEmpty()) {
                    throw new GraftException("cut " + description + " leaves no body");
                }
                return body;
            }

            @Override
            public String toString() {
                return description;
            }
        };
    }

    /** fastai's {@code cut=None}: before the last child that contains a pooling layer. */
    public static Cut auto() {
        return new Cut() {
            @Override
            public List<Child> apply(List<Child> children) {
                for (int i = children.size() - 1; i >= 0; i--) {
                    if (children.get(i).hasPool()) {
                        if (i == 0) {
                            break;
                        }
                        return children.subList(0, i);
                    }
                }
                throw new GraftException("no child holds a pooling layer to cut before; give a cut index");
            }

            @Override
            public String toString() {
                return "auto";
            }
        };
    }

    /** Parses the command line's {@code --cut}: an integer, or {@code auto}. */
    public static Cut parse(String text) {
        if (text.equalsIgnoreCase("auto") || text.equalsIgnoreCase("none")) {
            return auto();
        }
        try {
            return index(Integer.parseInt(text.trim()));
        } catch (NumberFormatException e) {
            throw new GraftException("--cut takes an integer (children to keep, negative from the end) or 'auto', not '" + text + "'");
        }
    }
}
