/** fastai's head: {@code create_head} and its options, as network-spec layers. */
package dev.graft.models.head;
