package dev.graft.models.spec;

import java.util.List;

/**
 * A set of nodes that is frozen, unfrozen and given a learning rate together: fastai's layer groups (its "split").
 *
 * @param name a short name shown in summaries
 * @param members id prefixes: a node belongs to the group when its id equals a member or starts with member + "."
 */
public record LayerGroup(String name, List<String> members) {
    public LayerGroup {
        members = List.copyOf(members);
        if (members.isEmpty()) {
            throw new IllegalArgumentException("layer group " + name + " has no members");
        }
    }

    /** True when the node with this id belongs to the group. */
    public boolean contains(String nodeId) {
        for (String m : members) {
            if (nodeId.equals(m) || nodeId.startsWith(m + ".")) {
                return true;
            }
        }
        return false;
    }
}
