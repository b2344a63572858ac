'use strict';
// The tag box on the story form: suggests existing tags as the editor types, accepts new ones.
{
    const $ = django.jQuery;
    $(function() {
        $('select.tag-select').each(function() {
            $(this).select2({
                tags: true,
                tokenSeparators: [','],
                width: '100%',
                ajax: {
                    url: this.dataset.suggestUrl,
                    dataType: 'json',
                    delay: 150,
                    data: (params) => ({term: params.term || ''}),
                },
                // List "new tag" after the existing matches, so Enter picks an existing tag.
                insertTag: (data, tag) => { data.push(tag); },
            });
        });
    });
}
