/** Graft's runtime-edge module. */
package dev.graft.edge;
