package web

// SetBake turns the baking of constant translations on or off for the views parsed
// after it (TestBakedTranslationsRenderTheSame) and returns the previous setting.
func SetBake(on bool) bool {
	was := bakeEnabled
	bakeEnabled = on
	return was
}

// Baked is how many actions bakeTranslations replaced in v's templates for lang.
func Baked(v *View, lang string) int { return v.baked[lang] }

// LocalPath is localPath, for the cases a cookie cannot carry to a server.
var LocalPath = localPath
