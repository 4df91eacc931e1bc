import { describe, expect, it } from 'vitest';
import { classifyPath, isicExportIds, isicExportPaths, pairImportSources, type ImportSource } from './isic.ts';

const source = (path: string): ImportSource => ({ path, file: new Blob([]) });

describe('ISIC layout', () => {
  it('recognises ISIC 2018, ISIC 2017 and images/ + masks/ layouts', () => {
    expect(classifyPath('ISIC2018_Task1-2_Training_Input/ISIC_0000000.jpg')).toEqual({ kind: 'image', id: 'ISIC_0000000' });
    expect(classifyPath('ISIC2018_Task1_Training_GroundTruth/ISIC_0000000_segmentation.png')).toEqual({ kind: 'mask', id: 'ISIC_0000000' });
    expect(classifyPath('ISIC-2017_Training_Part1_GroundTruth/ISIC_0000001.png')).toEqual({ kind: 'mask', id: 'ISIC_0000001' });
    expect(classifyPath('data/masks/lesion7.png')).toEqual({ kind: 'mask', id: 'lesion7' });
    expect(classifyPath('data/images/lesion7.png')).toEqual({ kind: 'image', id: 'lesion7' });
    expect(classifyPath('x/ISIC_0000001_superpixels.png').kind).toBe('ignored');
    expect(classifyPath('x/metadata.csv').kind).toBe('ignored');
    expect(classifyPath('x/.DS_Store').kind).toBe('ignored');
    expect(classifyPath('__MACOSX/x/a.jpg').kind).toBe('ignored');
  });

  it('pairs masks with images by id and reports the rest', () => {
    const paired = pairImportSources([
      source('in/ISIC_1.jpg'),
      source('in/isic_2.JPG'),
      source('gt/ISIC_2_segmentation.png'),
      source('gt/ISIC_9_segmentation.png'),
      source('notes.txt'),
    ]);
    expect(paired.images.map((i) => i.id)).toEqual(['ISIC_1', 'isic_2']);
    expect(paired.masks).toHaveLength(1);
    expect(paired.masks[0]!.imageIndex).toBe(1);
    expect(paired.unmatchedMasks[0]!.reason).toBe('no image named ISIC_9 in the import');
    expect(paired.ignored.map((s) => s.path)).toEqual(['notes.txt']);
  });

  it('refuses to guess between two images of the same id', () => {
    const paired = pairImportSources([source('a/x.jpg'), source('b/x.png'), source('masks/x.png')]);
    expect(paired.unmatchedMasks[0]!.reason).toMatch(/2 images are named x/);
  });

  it('names exports uniquely and safely', () => {
    expect(isicExportIds(['ISIC_1.jpg', 'isic_1.png', 'my lesion.jpg', 'ISIC_1.jpeg'])).toEqual(['ISIC_1', 'isic_1_2', 'my_lesion', 'ISIC_1_3']);
    expect(isicExportPaths('ISIC_1', 'ISIC_1.JPG')).toEqual({ image: 'images/ISIC_1.jpg', mask: 'masks/ISIC_1_segmentation.png' });
  });
});
