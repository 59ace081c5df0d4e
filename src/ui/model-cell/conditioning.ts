/**
 * A U-Net image model's class conditioning in the Model cell (issue #16): on a labelled set, a
 * "Class-conditional" switch sets the library's `classes` to the set's label count (and shows the
 * null-class probability `pUncond`, default 0.1); off, both options are left out (unconditional).
 */
import { html, nothing } from 'lit';
import {
  UNET_CLASSES,
  UNET_P_UNCOND,
  imageClassCount,
  type ImageModelSettings,
} from '../../notebook';
import { numberField } from '../fields';

/** The options with class conditioning on (`labels` classes) or off (0). */
export function withConditioning(
  options: ImageModelSettings['options'],
  labels: number,
): ImageModelSettings['options'] {
  const rest = { ...options };
  delete rest['classes'];
  delete rest['pUncond'];
  return labels > 0
    ? { ...rest, classes: labels, pUncond: UNET_P_UNCOND.initial([1, 1, 1]) }
    : rest;
}

/**
 * The switch and the null-class probability, for the kinds that have them; nothing for the image
 * flows, or where neither the set has labels nor the model conditions on classes.
 */
export function conditioningControls(
  image: ImageModelSettings,
  labels: number,
  onChange: (options: ImageModelSettings['options']) => void,
) {
  const offered =
    'classes' in image.options || image.kind === 'flow-matching' || image.kind === 'ddpm';
  const classes = imageClassCount(image);
  if (!offered || (labels === 0 && classes === 0)) return nothing;
  const pUncond = image.options['pUncond'];
  return html`<label for="conditional" title=${UNET_CLASSES.tip}>
      <input
        id="conditional"
        type="checkbox"
        .checked=${classes > 0}
        @change=${(event: Event) =>
          onChange(
            withConditioning(
              image.options,
              (event.target as HTMLInputElement).checked ? labels || classes : 0,
            ),
          )}
      />
      Class-conditional${classes > 0 ? ` (${classes} classes)` : labels > 0 ? ` (${labels} classes)` : ''}
    </label>
    ${
      classes > 0
        ? numberField({
            id: 'pUncond',
            value: typeof pUncond === 'number' ? pUncond : UNET_P_UNCOND.initial([1, 1, 1]),
            range: UNET_P_UNCOND.range,
            step: '0.05',
            tip: UNET_P_UNCOND.tip,
            onChange: (value) => onChange({ ...image.options, pUncond: value }),
          })
        : nothing
    }`;
}
