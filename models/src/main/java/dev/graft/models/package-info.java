/**
 * Networks described as data: architectures, their cut and split, fastai's head, and the weights that fill them.
 *
 * <p>Every other Graft module (trainer, exporter, summary, drawing) reads a network from here and translates it; none
 * of them describes a network itself.
 */
package dev.graft.models;
