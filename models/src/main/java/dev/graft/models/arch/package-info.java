/**
 * Backbones (torchvision's ResNet family) as data, with fastai's model_meta: their cut and their split into layer
 * groups.
 */
package dev.graft.models.arch;
