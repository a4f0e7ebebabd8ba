/**
 * The network spec: {@link dev.graft.models.spec.Network}, its {@link dev.graft.models.spec.Node nodes} and
 * {@link dev.graft.models.spec.Layer layers}, shape inference, and the exact JSON form.
 */
package dev.graft.models.spec;
